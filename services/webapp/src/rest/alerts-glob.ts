import type { AlertStateRow, Silence } from '../repos/index.js';

/**
 * Which active silences cover a state, to show it on the Problems page (the dispatcher decides
 * at send time; this is the same rule: every set column of the silence must match, NULL = any).
 * Host globs are Graphite's: `*`, `?`, `[a-z]`, `[!a-z]`, `{a,b}` (one level). Matching is a
 * dynamic programme over (pattern position, name position), so no glob can cost more than
 * length × length per alternative, whatever its stars.
 */
const MAX_ALTERNATIVES = 64;

type Token = { kind: 'char'; c: string } | { kind: 'any' } | { kind: 'star' } | { kind: 'class'; set: string; negated: boolean };

function expandBraces(glob: string): string[] {
  const open = glob.indexOf('{');
  const close = open < 0 ? -1 : glob.indexOf('}', open);
  if (open < 0 || close < 0) return [glob];
  const head = glob.slice(0, open);
  const tails = expandBraces(glob.slice(close + 1));
  const out: string[] = [];
  for (const alt of glob.slice(open + 1, close).split(','))
    for (const tail of tails) if (out.length < MAX_ALTERNATIVES) out.push(head + alt + tail);
  return out;
}

function tokens(glob: string): Token[] {
  const chars = Array.from(glob);
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') out.push({ kind: 'star' });
    else if (c === '?') out.push({ kind: 'any' });
    else if (c === '[' && chars.indexOf(']', i + 1) > i) {
      const end = chars.indexOf(']', i + 1);
      const body = chars.slice(i + 1, end).join('');
      out.push({ kind: 'class', set: body.replace(/^!/, ''), negated: body.startsWith('!') });
      i = end;
    } else out.push({ kind: 'char', c });
  }
  return out;
}

function inClass(set: string, c: string): boolean {
  const chars = Array.from(set);
  for (let i = 0; i < chars.length; i++) {
    if (chars[i + 1] === '-' && i + 2 < chars.length) {
      if (c >= chars[i] && c <= chars[i + 2]) return true;
      i += 2;
    } else if (chars[i] === c) return true;
  }
  return false;
}

function matchTokens(pattern: Token[], name: string[]): boolean {
  // reach[j]: the pattern's first i tokens can match the name's first j characters
  let reach = new Array<boolean>(name.length + 1).fill(false);
  reach[0] = true;
  for (const t of pattern) {
    const next = new Array<boolean>(name.length + 1).fill(false);
    for (let j = 0; j <= name.length; j++) {
      if (t.kind === 'star') next[j] = reach[j] || (j > 0 && next[j - 1]);
      else if (j > 0 && reach[j - 1]) {
        const c = name[j - 1];
        next[j] = t.kind === 'any' || (t.kind === 'char' && t.c === c) || (t.kind === 'class' && inClass(t.set, c) !== t.negated);
      }
    }
    reach = next;
  }
  return reach[name.length];
}

export function globMatches(glob: string, name: string): boolean {
  if (!/[*?[{]/.test(glob)) return glob === name;
  const chars = Array.from(name);
  return expandBraces(glob).some((alt) => matchTokens(tokens(alt), chars));
}

export function silenceCovers(s: Silence, state: Pick<AlertStateRow, 'ruleKey' | 'hostid' | 'plugin' | 'field'>): boolean {
  return (
    (s.ruleKey === null || s.ruleKey === state.ruleKey) &&
    (s.hostGlob === null || globMatches(s.hostGlob, state.hostid)) &&
    (s.plugin === null || s.plugin === state.plugin) &&
    (s.field === null || s.field === state.field)
  );
}
