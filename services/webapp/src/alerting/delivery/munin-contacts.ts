import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { MuninConf } from '../../../../../common/munin/src/munin-conf.js';
import type { MuninContact } from '../../../../../common/munin/src/munin-conf-alerts.js';
import { ContactSettings } from '../../../../../common/schemas/src/alerts.js';

/**
 * munin.conf's `contact.NAME.command` (and `.text`) as numeter command contacts named
 * `munin-NAME`, catch-all (no group, no user: every host's alerts, as munin's contacts)
 * and notified from UNKNOWN up, as munin-limits sends every change. Munin runs the command
 * through a shell after expanding `${var:...}` into it; numeter runs argv without a shell
 * and expands each argument alone, so the command is split into words as sh would (quotes
 * and backslashes), and one needing the shell itself (pipes, redirections, `;`, `$VAR`,
 * backquotes) is refused with a problem naming it: expanding a host name into a shell
 * line is how munin contacts get injected.
 */

export interface ContactImport {
  created: string[];
  updated: string[];
  unchanged: string[];
  problems: string[];
}

const CONTACT_NAME_PREFIX = 'munin-';

/** The settings a munin contact becomes, or why it cannot. */
export function commandContactOf(contact: MuninContact, problems: string[]): ContactSettings | null {
  const where = `${contact.source}: contact ${contact.name}`;
  if (!contact.command) {
    problems.push(`${where} has no command; skipped`);
    return null;
  }
  // munin-limits drops a leading `|` (an old way of saying "pipe to") with a warning; so does this
  const words = shellWords(contact.command.replace(/^\s*[|><]+/, ''));
  if (typeof words === 'string') {
    problems.push(`${where}: ${words}; skipped (point command at a script instead)`);
    return null;
  }
  // Loops, conditions and truncations are expanded as munin-limits does (munin-template.ts).
  const text = contact.text;
  if (contact.alwaysSend?.length)
    problems.push(`${where}: always_send is not imported; a rule's repeat (repeatMinutes) sends again while a problem lasts`);
  const settings = ContactSettings.safeParse({ kind: 'command', argv: words, ...(text !== undefined ? { text } : {}) });
  if (!settings.success) {
    problems.push(`${where}: ${settings.error.issues[0]?.message}; skipped`);
    return null;
  }
  return settings.data;
}

/** Creates or updates the `munin-NAME` contacts; a second run with the same file changes nothing. */
export async function importMuninContacts(pool: Pool, conf: MuninConf, options: { dryRun?: boolean } = {}): Promise<ContactImport> {
  const result: ContactImport = { created: [], updated: [], unchanged: [], problems: [...conf.problems] };
  for (const node of conf.nodes)
    if (node.contacts)
      result.problems.push(
        `${node.source}: host ${node.name} limits its contacts (${node.contacts.join(' ') || 'no'}); numeter's munin contacts get every host's alerts (give a contact a group to narrow it)`,
      );
  for (const contact of conf.contacts) {
    const settings = commandContactOf(contact, result.problems);
    if (!settings) continue;
    const name = `${CONTACT_NAME_PREFIX}${contact.name}`;
    const outcome = await upsertContact(pool, name, settings, options.dryRun ?? false);
    result[outcome].push(name);
  }
  return result;
}

async function upsertContact(
  pool: Pool,
  name: string,
  settings: ContactSettings,
  dryRun: boolean,
): Promise<'created' | 'updated' | 'unchanged'> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, kind, settings FROM contacts WHERE name = ?', [name]);
  const wanted = JSON.stringify(settings);
  if (rows.length === 0) {
    if (!dryRun)
      await pool.query("INSERT INTO contacts (name, kind, settings, min_state) VALUES (?, 'command', ?, 'UNKNOWN')", [name, wanted]);
    return 'created';
  }
  const stored = typeof rows[0].settings === 'string' ? JSON.parse(rows[0].settings) : rows[0].settings;
  if (rows[0].kind === 'command' && JSON.stringify(stored) === wanted) return 'unchanged';
  // only what munin.conf says is replaced: enabled, min_state, group and user stay as the webapp set them
  if (!dryRun) await pool.query("UPDATE contacts SET kind = 'command', settings = ? WHERE id = ?", [wanted, rows[0].id]);
  return 'updated';
}

/**
 * sh's word splitting for a command line without shell features: blanks separate words,
 * `'...'` is literal, `"..."` keeps `\"`, `\\`, `\$` and `` \` `` escapes, a backslash
 * outside quotes escapes the next character. `${var:NAME}` (munin's variables) passes
 * through. Returns the words, or what shell feature the line needs.
 */
export function shellWords(line: string): string[] | string {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) return 'an unterminated single quote';
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      const quoted = doubleQuoted(line, i + 1);
      if (typeof quoted === 'string') return quoted;
      word = (word ?? '') + quoted.text;
      i = quoted.end;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return 'a trailing backslash';
      word = (word ?? '') + line[++i];
    } else {
      const feature = shellFeatureAt(line, i);
      if (feature) return `uses ${feature}, which needs a shell`;
      const variable = /^\$\{var:[A-Za-z_]+\}/.exec(line.slice(i));
      word = (word ?? '') + (variable ? variable[0] : c);
      if (variable) i += variable[0].length - 1;
    }
  }
  if (word !== null) words.push(word);
  return words.length > 0 ? words : 'an empty command';
}

function doubleQuoted(line: string, start: number): { text: string; end: number } | string {
  let text = '';
  for (let i = start; i < line.length; i++) {
    const c = line[i];
    if (c === '"') return { text, end: i };
    if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) {
      text += line[++i];
    } else if (c === '$' || c === '`') {
      const variable = /^\$\{var:[A-Za-z_]+\}/.exec(line.slice(i));
      if (!variable) return `uses ${c === '`' ? 'backquotes' : `"${shellToken(line, i)}"`} inside double quotes, which needs a shell`;
      text += variable[0];
      i += variable[0].length - 1;
    } else {
      text += c;
    }
  }
  return 'an unterminated double quote';
}

/** A character sh gives a meaning to outside quotes (other than munin's `${var:...}`). */
function shellFeatureAt(line: string, i: number): string | null {
  const c = line[i];
  if ('|&;<>()`'.includes(c)) return `"${c}"`;
  if (c === '$' && !/^\$\{var:[A-Za-z_]+\}/.test(line.slice(i))) return `"${shellToken(line, i)}"`;
  if ((c === '*' || c === '?' || c === '[' || c === '~') && (c !== '~' || i === 0 || line[i - 1] === ' '))
    return `the glob or tilde "${c}"`;
  return null;
}

/** The `$...` at `i` as far as a message needs it: up to a blank or a quote, 12 characters at most. */
function shellToken(line: string, i: number): string {
  return (/^[^\s"']{1,12}/.exec(line.slice(i)) as RegExpExecArray)[0];
}
