import { toFieldName } from '../../schemas/index.js';

/**
 * The alerting parts of munin.conf, read beside the nodes so numeter's alerting can take
 * over what munin-limits did: global `contact.NAME.ATTRIBUTE value` lines (`command`,
 * `always_send`, `max_messages`, `text`, others kept verbatim), a host's `contacts`
 * (`contacts no` = none), and a host's per-field threshold overrides
 * (`[host] plugin.field.warning 10`, `.critical`; the plugin may be a multigraph name
 * with dots, the field never has one). Values that cannot be right are reported with
 * file and line and left out; the host itself is still polled.
 */
export interface MuninContact {
  name: string;
  /** `contact.NAME.command`: the shell command munin-limits pipes the alert text to. */
  command?: string;
  /** `contact.NAME.always_send`: severities sent at every run, not only on a change. */
  alwaysSend?: MuninSeverity[];
  /** `contact.NAME.max_messages`: alerts per command run before it is restarted. */
  maxMessages?: number;
  /** `contact.NAME.text`: the alert's template, verbatim (`${var:host}`...). */
  text?: string;
  /** Other attributes, verbatim by name (`contact.NAME.foo bar` → `{ foo: 'bar' }`). */
  other: Record<string, string>;
  /** Where the contact's first line is, for messages. */
  source: string;
}

export type MuninSeverity = 'ok' | 'warning' | 'critical' | 'unknown';

/** One field's thresholds set in munin.conf, overriding what its plugin sends. */
export interface MuninThresholdOverride {
  /** The plugin, or the multigraph section name (`diskstats_latency.sda`). */
  plugin: string;
  /** The field name, sanitised as the plugin's own fields are. */
  field: string;
  /** Munin's range syntax, verbatim: `max`, `min:max`, `:max` or `min:`. */
  warning?: string;
  critical?: string;
  /** Where the first of its lines is. */
  source: string;
}

const CONTACT_LINE = /^contact\.([A-Za-z0-9_][-A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/;
const THRESHOLD_KEY = /^(.+)\.([^.]+)\.(warning|critical)$/;
const PLUGIN_NAME = /^[-\w:]+(\.[-\w:]+)*$/;
const NUMBER = '[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?';
const RANGE = new RegExp(`^(?:${NUMBER}|${NUMBER}:|:${NUMBER}|${NUMBER}:${NUMBER})$`);
const SEVERITIES: readonly MuninSeverity[] = ['ok', 'warning', 'critical', 'unknown'];
const MAX_TEXT = 4096;

/** Whether `key` is a `contact.*` line (outside any section); if so it is read into `contacts`. */
export function readContactLine(
  key: string,
  value: string,
  where: string,
  contacts: Map<string, MuninContact>,
  problems: string[],
): boolean {
  if (!key.startsWith('contact.')) return false;
  const match = CONTACT_LINE.exec(key);
  if (!match) {
    problems.push(`${where}: ${JSON.stringify(key.slice(0, 80))} is not contact.NAME.ATTRIBUTE; ignored`);
    return true;
  }
  const [, name, attribute] = match;
  let contact = contacts.get(name);
  if (!contact) {
    contact = { name, other: {}, source: where };
    contacts.set(name, contact);
  }
  const problem = setContactAttribute(contact, attribute, value.slice(0, MAX_TEXT));
  if (problem) problems.push(`${where}: contact ${name}: ${problem}; ignored`);
  return true;
}

function setContactAttribute(contact: MuninContact, attribute: string, value: string): string | null {
  switch (attribute) {
    case 'command':
      if (value === '') return 'command is empty';
      contact.command = value;
      return null;
    case 'always_send': {
      const severities = value
        .toLowerCase()
        .split(/[\s,]+/)
        .filter(Boolean);
      const wrong = severities.filter((s) => !SEVERITIES.includes(s as MuninSeverity));
      if (wrong.length) return `always_send ${JSON.stringify(wrong[0].slice(0, 20))} is not one of ${SEVERITIES.join(', ')}`;
      contact.alwaysSend = severities as MuninSeverity[];
      return null;
    }
    case 'max_messages':
      if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
        return `max_messages ${JSON.stringify(value.slice(0, 20))} is not a positive integer`;
      contact.maxMessages = Number(value);
      return null;
    case 'text':
      contact.text = value;
      return null;
    default:
      contact.other[attribute] = value;
      return null;
  }
}

/** A host section's `contacts` key: undefined when not set (munin then alerts every contact). */
export function hostContacts(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(/\s+/).filter(Boolean);
  return names.length === 1 && names[0] === 'no' ? [] : names;
}

/** The threshold overrides among a host section's keys, in the order of their lines. */
export function thresholdOverrides(
  keys: ReadonlyMap<string, { value: string; where: string }>,
  problems: string[],
): MuninThresholdOverride[] {
  const byField = new Map<string, MuninThresholdOverride>();
  for (const [key, { value, where }] of keys) {
    const match = THRESHOLD_KEY.exec(key);
    if (!match) continue;
    const [, plugin, rawField, level] = match;
    if (!PLUGIN_NAME.test(plugin) || plugin.length > 255) {
      problems.push(`${where}: ${JSON.stringify(plugin.slice(0, 80))} is not a plugin name; ${level} override ignored`);
      continue;
    }
    if (!RANGE.test(value)) {
      problems.push(`${where}: ${level} ${JSON.stringify(value.slice(0, 40))} is not max, min:max, :max or min:; override ignored`);
      continue;
    }
    const field = toFieldName(rawField);
    const id = `${plugin}\t${field}`;
    const override = byField.get(id) ?? { plugin, field, source: where };
    byField.set(id, override);
    override[level as 'warning' | 'critical'] = value;
  }
  return [...byField.values()];
}
