import type { AlertNotification } from '../../../../../common/schemas/src/alerts.js';
import { templateVariables } from './formats.js';

/**
 * munin-limits' template language (Munin::Master::LimitsOld `message_expand`), for command
 * contacts' arguments and texts imported from munin.conf:
 *
 * - `${var:NAME}`: a variable, looked up in the current scope then its parents (munin_get);
 * - `${loop<SEP>:LIST TEMPLATE}`: TEMPLATE once per name listed in variable LIST (space
 *   separated) that has a scope of its own, joined by SEP; `${loop:LIST TEMPLATE}` joins with
 *   nothing (munin's own code drops that output: a bug we do not copy);
 * - `${if:NAME TEMPLATE}` / `${if:!NAME TEMPLATE}`: TEMPLATE when NAME is set, not empty and
 *   not "0" (or the reverse);
 * - `${strtrunc:N TEMPLATE}`: TEMPLATE cut to N characters.
 *
 * A construct it does not know is kept as munin keeps it (its text without the `$`), an
 * unbalanced one as written. Values are inserted as they are, never read again as templates,
 * so a host name holding `${...}` stays text. The output is bounded (MAX_OUTPUT).
 */
export interface TemplateScope {
  vars: Record<string, string>;
  /** Named sub-scopes (one per field), which loops walk. */
  children?: Record<string, TemplateScope>;
  parent?: TemplateScope;
}

const MAX_OUTPUT = 65_536;

function lookup(scope: TemplateScope | undefined, name: string): string | undefined {
  for (let s = scope; s; s = s.parent) if (Object.hasOwn(s.vars, name)) return s.vars[name];
  return undefined;
}

/** The index of the `}` closing the `{` at `open`, or -1 when the braces do not balance. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

export function expandMuninTemplate(template: string, scope: TemplateScope): string {
  let out = '';
  let at = 0;
  while (at < template.length && out.length < MAX_OUTPUT) {
    const dollar = template.indexOf('${', at);
    if (dollar < 0) {
      out += template.slice(at);
      break;
    }
    out += template.slice(at, dollar);
    const close = closingBrace(template, dollar + 1);
    if (close < 0) {
      out += template.slice(dollar);
      break;
    }
    out += construct(template.slice(dollar + 1, close + 1), scope);
    at = close + 1;
  }
  return out.slice(0, MAX_OUTPUT);
}

function construct(braced: string, scope: TemplateScope): string {
  let m = /^\{var:(\S+)\}$/s.exec(braced);
  if (m) return lookup(scope, m[1]) ?? '';
  m = /^\{loop(?:<([^>]+)>)?:\s*(\S+)\s(.+)\}$/s.exec(braced);
  if (m) {
    const [, separator = '', list, body] = m;
    const names = (lookup(scope, list) ?? '').split(/\s+/).filter(Boolean);
    const parts: string[] = [];
    for (const name of names) {
      const child = scope.children && Object.hasOwn(scope.children, name) ? scope.children[name] : undefined;
      if (child) parts.push(expandMuninTemplate(body, { ...child, parent: scope }));
    }
    return parts.join(separator);
  }
  m = /^\{strtrunc:\s*(\S+)\s(.+)\}$/s.exec(braced);
  if (m) {
    const n = Number.parseInt(m[1], 10);
    const expanded = expandMuninTemplate(m[2], scope);
    return Number.isFinite(n) && n >= 0 ? expanded.slice(0, n) : expanded;
  }
  m = /^\{if:\s*(!)?(\S+)\s(.+)\}$/s.exec(braced);
  if (m) {
    const value = lookup(scope, m[2]);
    let holds = value !== undefined && value !== '' && value !== '0';
    if (m[1]) holds = !holds;
    return holds ? expandMuninTemplate(m[3], scope) : '';
  }
  return braced;
}

/**
 * A notification as munin-limits' hash of a plugin: the variables of templateVariables, the
 * field listed in `cfields`, `wfields`, `ufields` or `ofields` by its state (and in
 * `fofields` when it recovered), and the field's own scope: `label`, `value`, `crange` or
 * `wrange` (the range the reason names), `extinfo` (empty: numeter has no field extinfo).
 */
export function notificationScope(n: AlertNotification): TemplateScope {
  const vars = templateVariables(n);
  const field = n.series.field;
  const lists = { cfields: '', wfields: '', ufields: '', ofields: '', fofields: '' };
  if (n.state === 'CRITICAL') lists.cfields = field;
  else if (n.state === 'WARNING') lists.wfields = field;
  else if (n.state === 'UNKNOWN') lists.ufields = field;
  else {
    lists.ofields = field;
    if (n.previous !== 'OK') lists.fofields = field;
  }
  const range = /outside (critical|warning) range (\S+)/.exec(n.reason);
  const fieldVars: Record<string, string> = {
    label: vars.label,
    value: vars.value,
    crange: range?.[1] === 'critical' ? range[2] : '',
    wrange: range?.[1] === 'warning' ? range[2] : '',
    extinfo: '',
  };
  return { vars: { ...vars, ...lists }, children: { [field]: { vars: fieldVars } } };
}
