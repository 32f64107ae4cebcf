import type { AlertNotification, AlertState } from '../../../../../common/schemas/src/alerts.js';

/**
 * The forms one AlertNotification takes on the way out: the mail (subject and text, in the
 * spirit of munin-limits' `group :: host :: graph` lines), the Slack/Mattermost incoming
 * webhook body, Prometheus Alertmanager v2 alerts, and munin's `${var:...}` variables for
 * commands. Each form encodes what came from outside (host names, field names, reasons)
 * for where it goes: one header line, Slack's `&<>` escapes, JSON strings.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is being removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** One line: a name with a newline must not start a new header or a new line of the text. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, ' ').trim();
}

function valueText(value: number | null): string {
  return value === null ? 'no data' : String(value);
}

function isoOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** `web1 :: cpu :: user`; the host's ID too when its name differs. */
function seriesTitle(n: AlertNotification): string {
  const host = oneLine(n.hostName) || n.series.hostId;
  const shown = host === n.series.hostId ? host : `${host} (${n.series.hostId})`;
  return `${shown} :: ${oneLine(n.series.plugin)} :: ${oneLine(n.series.field)}`;
}

/** `CRITICAL`, `OK (recovered from WARNING)`, `CRITICAL (was WARNING)`, `still CRITICAL`. */
function changeWords(n: AlertNotification): string {
  if (n.repeat || n.previous === n.state) return `still ${n.state}`;
  if (n.state === 'OK') return `OK (recovered from ${n.previous})`;
  return n.previous === 'OK' ? n.state : `${n.state} (was ${n.previous})`;
}

export interface MailContent {
  subject: string;
  text: string;
}

export function mailContent(n: AlertNotification, subjectPrefix: string): MailContent {
  const prefix = oneLine(subjectPrefix);
  const subject = `${prefix ? `${prefix} ` : ''}${changeWords(n)}: ${seriesTitle(n)}`;
  return { subject, text: notificationText(n) };
}

/** The text of a mail and, unless the contact has its own, of a command's stdin. */
export function notificationText(n: AlertNotification): string {
  const lines = [
    seriesTitle(n),
    `\t${changeWords(n)}: ${oneLine(n.series.field)} is ${valueText(n.value)}${n.reason ? ` (${oneLine(n.reason)})` : ''}.`,
    '',
    `Rule: ${oneLine(n.ruleName) || n.ruleKey} (${n.ruleKey})`,
    `Changed at: ${isoOf(n.changedAt)}`,
  ];
  if (n.url) lines.push(`Graph: ${oneLine(n.url)}`);
  lines.push(`Notification: ${oneLine(n.id)}`);
  return `${lines.join('\n')}\n`;
}

// ---- Slack / Mattermost incoming webhooks ----

/** Slack's colours for good, warning and danger; grey for UNKNOWN. */
export const STATE_COLOURS: Record<AlertState, string> = {
  OK: '#2eb886',
  UNKNOWN: '#808080',
  WARNING: '#daa038',
  CRITICAL: '#a30200',
};

/** Slack (and Mattermost) read `&`, `<` and `>` as markup: these three are escaped, nothing else. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface SlackBody {
  text: string;
  channel?: string;
  attachments: Array<{
    fallback: string;
    color: string;
    title: string;
    title_link?: string;
    text: string;
    fields: Array<{ title: string; value: string; short: boolean }>;
    footer: string;
    ts: number;
  }>;
}

export function slackBody(n: AlertNotification, channel?: string): SlackBody {
  const headline = slackEscape(`${changeWords(n)}: ${seriesTitle(n)}`);
  const link = /^https?:\/\//i.test(n.url) ? n.url : undefined;
  const field = (title: string, value: string) => ({ title, value: slackEscape(oneLine(value)), short: true });
  return {
    text: headline,
    ...(channel ? { channel } : {}),
    attachments: [
      {
        fallback: headline,
        color: STATE_COLOURS[n.state],
        title: headline,
        ...(link ? { title_link: link } : {}),
        text: slackEscape(oneLine(n.reason)),
        fields: [
          field('State', n.state),
          field('Previous', n.previous),
          field('Value', valueText(n.value)),
          field('Rule', oneLine(n.ruleName) || n.ruleKey),
        ],
        footer: slackEscape(`numeter ${oneLine(n.id)}`),
        ts: n.changedAt,
      },
    ],
  };
}

// ---- Prometheus Alertmanager v2 (POST /api/v2/alerts, a list of postableAlert) ----

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/**
 * An alert's identity in Alertmanager is its label set, severity included, so a change from
 * WARNING to CRITICAL resolves the warning alert and fires the critical one; a recovery
 * resolves the previous one (endsAt = the change). A firing alert is given an explicit
 * endsAt `activeMs` ahead: without one Alertmanager resolves it after its resolve_timeout
 * (5 min), and numeter only sends again on the next change or repeat.
 */
export function alertmanagerAlerts(n: AlertNotification, activeMs: number): AlertmanagerAlert[] {
  const at = isoOf(n.changedAt);
  const alerts: AlertmanagerAlert[] = [];
  if (n.previous !== 'OK' && n.previous !== n.state) alerts.push({ ...alertmanagerBase(n, n.previous), startsAt: at, endsAt: at });
  if (n.state !== 'OK')
    alerts.push({ ...alertmanagerBase(n, n.state), startsAt: at, endsAt: new Date(n.changedAt * 1000 + activeMs).toISOString() });
  return alerts;
}

function alertmanagerBase(n: AlertNotification, severityState: AlertState): Omit<AlertmanagerAlert, 'startsAt'> {
  const generatorURL = /^https?:\/\//i.test(n.url) ? n.url : undefined;
  return {
    labels: {
      alertname: n.ruleName || n.ruleKey,
      rule_key: n.ruleKey,
      host: n.series.hostId,
      plugin: n.series.plugin,
      field: n.series.field,
      severity: severityState.toLowerCase(),
    },
    annotations: {
      summary: `${changeWords(n)}: ${seriesTitle(n)}`,
      description: n.reason,
      host_name: n.hostName,
      value: valueText(n.value),
      notification_id: n.id,
    },
    ...(generatorURL ? { generatorURL } : {}),
  };
}

// ---- munin's `${var:NAME}` variables, for commands and their texts (munin-template.ts expands them) ----

/** Munin's `worstid` (Nagios' plugin codes). */
const NAGIOS_CODES: Record<AlertState, string> = { OK: '0', WARNING: '1', CRITICAL: '2', UNKNOWN: '3' };

/** The variables a command's arguments and text may use, with munin's names where munin has one. */
export function templateVariables(n: AlertNotification): Record<string, string> {
  return {
    host: oneLine(n.hostName) || n.series.hostId,
    hostid: n.series.hostId,
    group: '',
    plugin: n.series.plugin,
    graph_title: n.series.plugin,
    field: n.series.field,
    label: n.series.field,
    worst: n.state,
    worstid: NAGIOS_CODES[n.state],
    state: n.state,
    previous: n.previous,
    value: valueText(n.value),
    reason: oneLine(n.reason),
    rule: oneLine(n.ruleName),
    rule_key: n.ruleKey,
    url: oneLine(n.url),
    id: n.id,
    changed_at: isoOf(n.changedAt),
  };
}
