import { BadParameterError } from './errors.js';

/**
 * Graphite path-node globs: `*`, `?`, `[a-z]` / `[!a-z]` and `{a,b}` value lists. Matched
 * by a dynamic program in O(pattern × name), never through a RegExp, so no pattern can
 * make matching explode. Brace lists are expanded first (at most MAX_ALTERNATIVES).
 */
const MAX_ALTERNATIVES = 200;
const MAX_NODE_PATTERN = 256;

type Token =
  | { kind: 'char'; char: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; ranges: [string, string][]; negated: boolean };

export interface NodeMatcher {
  /** True when the node has no glob character: it names exactly one node. */
  literal: boolean;
  matches(name: string): boolean;
}

export function compileNode(pattern: string, parameter: string): NodeMatcher {
  if (pattern.length > MAX_NODE_PATTERN) {
    throw new BadParameterError(parameter, `${parameter}: a path node is longer than ${MAX_NODE_PATTERN} characters`);
  }
  const literal = !/[*?[\]{}]/.test(pattern);
  if (literal) return { literal, matches: (name) => name === pattern };
  const alternatives = expandBraces(pattern, parameter).map((alt) => tokenize(alt, parameter));
  return { literal, matches: (name) => alternatives.some((tokens) => matchTokens(tokens, name)) };
}

/** `a{b,c}d{e,f}` → abde, abdf, acde, acdf (no nesting). */
function expandBraces(pattern: string, parameter: string): string[] {
  let results = [''];
  let i = 0;
  while (i < pattern.length) {
    const open = pattern.indexOf('{', i);
    if (open < 0) {
      results = results.map((r) => r + pattern.slice(i));
      break;
    }
    const close = pattern.indexOf('}', open);
    if (close < 0 || pattern.slice(open + 1, close).includes('{')) {
      throw new BadParameterError(parameter, `${parameter}: unbalanced or nested "{" in a path node`);
    }
    const prefix = pattern.slice(i, open);
    const options = pattern.slice(open + 1, close).split(',');
    const next: string[] = [];
    for (const r of results) for (const option of options) next.push(r + prefix + option);
    if (next.length > MAX_ALTERNATIVES) {
      throw new BadParameterError(parameter, `${parameter}: value lists expand to more than ${MAX_ALTERNATIVES} alternatives`);
    }
    results = next;
    i = close + 1;
  }
  if (results.some((r) => r.includes('}'))) throw new BadParameterError(parameter, `${parameter}: unbalanced "}" in a path node`);
  return results;
}

function tokenize(pattern: string, parameter: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw new BadParameterError(parameter, `${parameter}: unbalanced "[" in a path node`);
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        if (body[j + 1] === '-' && j + 2 < body.length) {
          ranges.push([body[j], body[j + 2]]);
          j += 2;
        } else ranges.push([body[j], body[j]]);
      }
      tokens.push({ kind: 'class', ranges, negated });
      i = close;
    } else tokens.push({ kind: 'char', char: c });
  }
  return tokens;
}

function matchOne(token: Token, c: string): boolean {
  switch (token.kind) {
    case 'char':
      return token.char === c;
    case 'any':
      return true;
    case 'class':
      return token.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== token.negated;
    default:
      return false;
  }
}

/** reachable[j] = the first i name characters can be consumed by the first j tokens. */
function matchTokens(tokens: Token[], name: string): boolean {
  let reachable = new Uint8Array(tokens.length + 1);
  reachable[0] = 1;
  for (let j = 0; j < tokens.length && tokens[j].kind === 'star'; j++) reachable[j + 1] = 1;
  for (const c of name) {
    const next = new Uint8Array(tokens.length + 1);
    for (let j = 0; j < tokens.length; j++) {
      if (!reachable[j] && !(tokens[j].kind === 'star' && reachable[j + 1])) continue;
      const token = tokens[j];
      if (token.kind === 'star') {
        if (reachable[j] || reachable[j + 1]) next[j + 1] = 1;
      } else if (reachable[j] && matchOne(token, c)) next[j + 1] = 1;
    }
    // A star may also match nothing after this character.
    for (let j = 0; j < tokens.length; j++) if (next[j] && tokens[j].kind === 'star') next[j + 1] = 1;
    reachable = next;
  }
  return reachable[tokens.length] === 1;
}
