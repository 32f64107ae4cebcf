/**
 * Rule globs over one name (host ID, plugin, field): `*`, `?`, `[a-z]` / `[!a-z]` and one
 * level of `{a,b}` lists, as Graphite's path nodes. Matched by a table walk (no regular
 * expression, so no backtracking): at most pattern × name steps per alternative, and a
 * pattern is matched once per new series (the index caches the answer).
 */
export class GlobError extends Error {
  constructor(
    readonly pattern: string,
    problem: string,
  ) {
    super(`glob ${JSON.stringify(pattern.slice(0, 80))}: ${problem}`);
    this.name = 'GlobError';
  }
}

const MAX_ALTERNATIVES = 64;

type Token = { kind: 'char'; char: string } | { kind: 'any' } | { kind: 'star' } | { kind: 'class'; test: (c: string) => boolean };

export interface Glob {
  readonly pattern: string;
  /** True when the pattern has no glob character (it names one thing). */
  readonly literal: boolean;
  matches(name: string): boolean;
}

export function compileGlob(pattern: string): Glob {
  const literal = !/[*?[\]{}]/.test(pattern);
  if (literal) return { pattern, literal, matches: (name) => name === pattern };
  if (pattern === '*') return { pattern, literal, matches: () => true };
  const alternatives = expandBraces(pattern).map((p) => tokenize(p, pattern));
  return { pattern, literal, matches: (name) => alternatives.some((tokens) => matchTokens(tokens, name)) };
}

function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) {
    if (pattern.includes('}')) throw new GlobError(pattern, 'a } without {');
    return [pattern];
  }
  const close = pattern.indexOf('}', open);
  if (close < 0) throw new GlobError(pattern, 'a { without }');
  const inside = pattern.slice(open + 1, close);
  if (inside.includes('{')) throw new GlobError(pattern, 'nested {} lists');
  const rest = expandBraces(pattern.slice(close + 1));
  const out: string[] = [];
  for (const choice of inside.split(',')) {
    for (const tail of rest) {
      out.push(pattern.slice(0, open) + choice + tail);
      if (out.length > MAX_ALTERNATIVES) throw new GlobError(pattern, `more than ${MAX_ALTERNATIVES} alternatives`);
    }
  }
  return out;
}

function tokenize(pattern: string, whole: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new GlobError(whole, 'a [ without ]');
      tokens.push({ kind: 'class', test: classTest(pattern.slice(i + 1, end)) });
      i = end;
    } else if (c === ']') throw new GlobError(whole, 'a ] without [');
    else tokens.push({ kind: 'char', char: c });
  }
  return tokens;
}

function classTest(body: string): (c: string) => boolean {
  const negated = body.startsWith('!') || body.startsWith('^');
  const set = negated ? body.slice(1) : body;
  const ranges: Array<[string, string]> = [];
  for (let i = 0; i < set.length; i++) {
    if (set[i + 1] === '-' && i + 2 < set.length) {
      ranges.push([set[i], set[i + 2]]);
      i += 2;
    } else ranges.push([set[i], set[i]]);
  }
  return (c) => ranges.some(([low, high]) => c >= low && c <= high) !== negated;
}

/** reachable[j]: the first i tokens can match the first j characters; one row per token. */
function matchTokens(tokens: Token[], name: string): boolean {
  let reachable = new Uint8Array(name.length + 1);
  reachable[0] = 1;
  for (const token of tokens) {
    const next = new Uint8Array(name.length + 1);
    if (token.kind === 'star') {
      let seen = 0;
      for (let j = 0; j <= name.length; j++) {
        seen |= reachable[j];
        next[j] = seen;
      }
    } else {
      for (let j = 0; j < name.length; j++) if (reachable[j] && tokenAccepts(token, name[j])) next[j + 1] = 1;
    }
    reachable = next;
  }
  return reachable[name.length] === 1;
}

function tokenAccepts(token: Exclude<Token, { kind: 'star' }>, c: string): boolean {
  if (token.kind === 'any') return true;
  if (token.kind === 'char') return token.char === c;
  return token.test(c);
}
