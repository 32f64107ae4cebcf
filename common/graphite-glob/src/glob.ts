/**
 * Graphite path-node globs: `*`, `?`, `[a-z]` / `[!a-z]` and `{a,b}` value lists, compiled
 * into one automaton over the pattern's positions (brace lists are alternatives inside it,
 * never expanded into a product of patterns) and run on a name as a set of states (a
 * bitset), one step per character. The cost of a match is at most (active states ×
 * bitset words) per character, whatever the pattern: 128 alternatives × 216 wildcards
 * can no longer multiply. A caller with a work budget (the storage's requests) is told the
 * steps of each match through `charge`, which may throw to stop it.
 *
 * Used by the storage's find/render API and by the alerting engine's pattern rules: one
 * glob language for a path node and a rule's host, plugin or field.
 */
export const GLOB_LIMITS = {
  /** Characters of one pattern (one path node). */
  maxPatternLength: 256,
  /** Alternatives of one `{…}` value list. */
  maxAlternatives: 200,
  /** `*`, `?` and `[…]` in one pattern. */
  maxWildcards: 64,
} as const;
/** State sets one matcher remembers; more and it starts over (memory stays bounded). */
const MAX_DFA_STATES = 4096;

/** A pattern that is not a glob, or over a limit; `problem` says what is wrong. */
export class GlobError extends Error {
  constructor(
    readonly pattern: string,
    readonly problem: string,
  ) {
    super(`glob ${JSON.stringify(pattern.slice(0, 80))}: ${problem}`);
    this.name = 'GlobError';
  }
}

export interface GlobOptions {
  /** Told the matching steps of every match (a work budget); may throw to stop the caller. */
  charge?: (steps: number) => void;
}

export interface Glob {
  readonly pattern: string;
  /** True when the pattern has no glob character: it names exactly one thing. */
  readonly literal: boolean;
  matches(name: string): boolean;
}

type Test = { kind: 'char'; char: string } | { kind: 'any' } | { kind: 'class'; ranges: Array<[string, string]>; negated: boolean };

type Item = Test | { kind: 'star' } | { kind: 'group'; alternatives: Item[][] };

export function compileGlob(pattern: string, options: GlobOptions = {}): Glob {
  if (pattern.length > GLOB_LIMITS.maxPatternLength) {
    throw new GlobError(pattern, `longer than ${GLOB_LIMITS.maxPatternLength} characters`);
  }
  const literal = !/[*?[\]{}]/.test(pattern);
  if (literal) return { pattern, literal, matches: (name) => name === pattern };
  if (pattern === '*') return { pattern, literal, matches: () => true };
  const automaton = new Automaton(new PatternParser(pattern).items(), options.charge);
  return { pattern, literal, matches: (name) => automaton.matches(name) };
}

/** The pattern as items: tests, stars and brace groups (one level, as Graphite's lists). */
class PatternParser {
  private pos = 0;
  private wildcards = 0;
  /** Code points, as names are matched (an emoji is one `?`). */
  private readonly pattern: string[];

  constructor(private readonly whole: string) {
    this.pattern = Array.from(whole);
  }

  items(): Item[] {
    const items = this.sequence(false);
    if (this.pos < this.pattern.length) throw this.error('unbalanced "}"');
    return items;
  }

  private sequence(inGroup: boolean): Item[] {
    const items: Item[] = [];
    while (this.pos < this.pattern.length) {
      const c = this.pattern[this.pos];
      if (inGroup && (c === ',' || c === '}')) break;
      if (c === '}') break;
      this.pos++;
      if (c === '{') {
        if (inGroup) throw this.error('nested "{"');
        items.push(this.group());
      } else if (c === '*') {
        this.countWildcard();
        if (items[items.length - 1]?.kind !== 'star') items.push({ kind: 'star' });
      } else if (c === '?') {
        this.countWildcard();
        items.push({ kind: 'any' });
      } else if (c === '[') {
        this.countWildcard();
        items.push(this.characterClass());
      } else items.push({ kind: 'char', char: c });
    }
    return items;
  }

  private group(): Item {
    const alternatives: Item[][] = [];
    for (;;) {
      alternatives.push(this.sequence(true));
      if (alternatives.length > GLOB_LIMITS.maxAlternatives) {
        throw this.error(`a value list has more than ${GLOB_LIMITS.maxAlternatives} alternatives`);
      }
      const c = this.pattern[this.pos++];
      if (c === '}') return { kind: 'group', alternatives };
      if (c !== ',') throw this.error('unbalanced or nested "{"');
    }
  }

  private characterClass(): Test {
    const close = this.pattern.indexOf(']', this.pos + 1);
    if (close < 0) throw this.error('unbalanced "["');
    let body = this.pattern.slice(this.pos, close).join('');
    this.pos = close + 1;
    const negated = body.startsWith('!') || body.startsWith('^');
    if (negated) body = body.slice(1);
    const chars = Array.from(body);
    const ranges: Array<[string, string]> = [];
    for (let j = 0; j < chars.length; j++) {
      if (chars[j + 1] === '-' && j + 2 < chars.length) {
        ranges.push([chars[j], chars[j + 2]]);
        j += 2;
      } else ranges.push([chars[j], chars[j]]);
    }
    return { kind: 'class', ranges, negated };
  }

  private countWildcard(): void {
    if (++this.wildcards > GLOB_LIMITS.maxWildcards) throw this.error(`more than ${GLOB_LIMITS.maxWildcards} wildcards`);
  }

  private error(problem: string): GlobError {
    return new GlobError(this.whole, problem);
  }
}

/**
 * Consuming states (one per test; a star is an `any` test that loops) and, for each, the
 * set of states reachable right after it without consuming (its closure), as bitsets.
 */
class Automaton {
  private readonly tests: Test[] = [];
  /** After consuming with state i: closure bits at [i * words, (i + 1) * words). */
  private follow: Uint32Array = new Uint32Array(0);
  private readonly followEnds: boolean[] = [];
  private readonly states = new Map<string, DfaState>();
  private startState: DfaState;
  private words = 1;

  constructor(
    items: Item[],
    private readonly charge: ((steps: number) => void) | undefined,
  ) {
    // Built back to front: each item gets the closure of what follows it.
    const pending: Array<{ state: number; after: { states: number[]; end: boolean } }> = [];
    const build = (list: Item[], after: { states: number[]; end: boolean }): { states: number[]; end: boolean } => {
      let next = after;
      for (let i = list.length - 1; i >= 0; i--) next = this.item(list[i], next, pending);
      return next;
    };
    const start = build(items, { states: [], end: true });
    this.words = Math.max(1, Math.ceil(this.tests.length / 32));
    this.follow = new Uint32Array(this.tests.length * this.words);
    for (const { state, after } of pending) {
      for (const s of after.states) this.follow[state * this.words + (s >>> 5)] |= 1 << (s & 31);
      this.followEnds[state] = after.end;
    }
    const startBits = new Uint32Array(this.words);
    for (const s of start.states) startBits[s >>> 5] |= 1 << (s & 31);
    this.startState = this.intern(startBits, start.end);
  }

  private item(
    item: Item,
    after: { states: number[]; end: boolean },
    pending: Array<{ state: number; after: { states: number[]; end: boolean } }>,
  ): { states: number[]; end: boolean } {
    if (item.kind === 'group') {
      const states = new Set<number>();
      let end = false;
      for (const alternative of item.alternatives) {
        let next = after;
        for (let i = alternative.length - 1; i >= 0; i--) next = this.item(alternative[i], next, pending);
        for (const s of next.states) states.add(s);
        end ||= next.end;
      }
      return { states: [...states], end };
    }
    const state = this.tests.length;
    if (item.kind === 'star') {
      // Matches nothing (what follows), or one character and then itself again.
      this.tests.push({ kind: 'any' });
      const loop = { states: [state, ...after.states], end: after.end };
      pending.push({ state, after: loop });
      return loop;
    }
    this.tests.push(item);
    pending.push({ state, after });
    return { states: [state], end: false };
  }

  /**
   * Runs the name through the automaton as a lazily built DFA: each set of states met
   * is interned once and its transition per character remembered, so matching many
   * names costs one map lookup per character; only new transitions pay the set step.
   */
  matches(name: string): boolean {
    let state = this.startState;
    let steps = 0;
    let consumed = 0;
    for (const c of name) {
      if (state.dead) break;
      let next = state.next.get(c);
      if (next === undefined) {
        next = this.step(state, c);
        steps += state.cost;
      }
      steps++;
      consumed += c.length;
      state = next;
    }
    this.charge?.(steps);
    return state.end && consumed === name.length;
  }

  private step(from: DfaState, c: string): DfaState {
    const { words } = this;
    const bits = new Uint32Array(words);
    let end = false;
    for (let w = 0; w < words; w++) {
      let active = from.bits[w];
      while (active !== 0) {
        const low = active & -active;
        const s = w * 32 + (31 - Math.clz32(low));
        active ^= low;
        if (!passes(this.tests[s], c)) continue;
        for (let k = 0; k < words; k++) bits[k] |= this.follow[s * words + k];
        end ||= this.followEnds[s];
      }
    }
    if (this.states.size >= MAX_DFA_STATES) this.forget();
    const next = this.intern(bits, end);
    // After forget(), `from` is no longer in the table; remembering on it is harmless.
    from.next.set(c, next);
    return next;
  }

  private intern(bits: Uint32Array, end: boolean): DfaState {
    const key = `${end ? 1 : 0}:${bits.join(',')}`;
    let state = this.states.get(key);
    if (!state) {
      let active = 0;
      for (const word of bits) active += popcount(word);
      state = { bits, end, dead: active === 0, cost: Math.max(1, active * this.words), next: new Map() };
      this.states.set(key, state);
    }
    return state;
  }

  /** Bounds memory: a pattern and names that keep making new state sets start over. */
  private forget(): void {
    this.states.clear();
    this.startState = this.intern(this.startState.bits, this.startState.end);
    this.startState.next.clear();
  }
}

interface DfaState {
  bits: Uint32Array;
  end: boolean;
  dead: boolean;
  /** Matching steps one new transition out of this set costs (states × bitset words). */
  cost: number;
  next: Map<string, DfaState>;
}

function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function passes(test: Test, c: string): boolean {
  switch (test.kind) {
    case 'char':
      return test.char === c;
    case 'any':
      return true;
    default:
      return test.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== test.negated;
  }
}
