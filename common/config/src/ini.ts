/**
 * Reads INI files the way the original Numeter did (Python 2 RawConfigParser), so
 * existing `numeter_*.cfg` files keep working: `key = value` or `key: value`; section
 * and option names case-insensitive (lower-cased here); full-line comments start with
 * `#` or `;`; an inline comment is `;` preceded by white space (`#` after a value is
 * part of the value); a line starting with white space continues the previous value.
 */
export type IniDocument = Record<string, Record<string, string>>;

export class IniSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${source}:${line}: ${detail}`);
    this.name = 'IniSyntaxError';
  }
}

export function parseIni(text: string, source = '<config>'): IniDocument {
  const doc: IniDocument = {};
  let section: Record<string, string> | null = null;
  let lastKey: string | null = null;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    if (/^\s*$/.test(raw) || /^[#;]/.test(raw) || /^rem(\s|$)/i.test(raw)) return;
    if (/^\s/.test(raw) && section && lastKey) {
      section[lastKey] = `${section[lastKey]}\n${stripInlineComment(raw.trim())}`;
      return;
    }
    const header = /^\[([^\]]+)\]/.exec(raw);
    if (header) {
      const name = header[1].trim().toLowerCase();
      section = doc[name] ??= {};
      lastKey = null;
      return;
    }
    const option = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(raw);
    if (!option) throw new IniSyntaxError(source, lineNo, `cannot read line ${JSON.stringify(raw.slice(0, 80))}`);
    if (!section) throw new IniSyntaxError(source, lineNo, 'option before any [section] header');
    lastKey = option[1].trim().toLowerCase();
    section[lastKey] = stripInlineComment(option[2]).trim();
  });
  return doc;
}

function stripInlineComment(value: string): string {
  const match = /\s;/.exec(value);
  return match ? value.slice(0, match.index) : value;
}

const TRUE_WORDS = new Set(['1', 'yes', 'true', 'on']);
const FALSE_WORDS = new Set(['0', 'no', 'false', 'off']);

/** RawConfigParser's booleans; undefined for anything else so the caller can report it. */
export function parseIniBoolean(value: string): boolean | undefined {
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}
