/**
 * Munin `cdef` expressions: the subset of rrdtool RPN that munin plugins use. An expression is
 * compiled once (unknown operators, unknown fields and stack errors are reported then, with the
 * whole expression in the message) and evaluated per point. Unknown values are NaN inside and
 * null outside, like rrdtool's UNKN.
 */

export class CdefError extends Error {
  override name = 'CdefError';
}

type Op = (stack: number[], time: number) => void;
interface CompiledStep {
  op?: Op;
  push?: number;
  field?: string;
  /** Stack effect, for the static depth check. */
  pops: number;
  pushes: number;
}

const unknownIfAny = (...xs: number[]) => xs.some((x) => Number.isNaN(x));

function binary(fn: (a: number, b: number) => number): CompiledStep {
  return {
    pops: 2,
    pushes: 1,
    op: (s) => {
      const b = s.pop() as number;
      const a = s.pop() as number;
      s.push(fn(a, b));
    },
  };
}
function unary(fn: (a: number) => number): CompiledStep {
  return { pops: 1, pushes: 1, op: (s) => s.push(fn(s.pop() as number)) };
}
const compare = (test: (a: number, b: number) => boolean) =>
  binary((a, b) => (unknownIfAny(a, b) || !Number.isFinite(a) || !Number.isFinite(b) ? Number.NaN : test(a, b) ? 1 : 0));

const OPERATORS: Record<string, () => CompiledStep> = {
  '+': () => binary((a, b) => a + b),
  '-': () => binary((a, b) => a - b),
  '*': () => binary((a, b) => a * b),
  '/': () => binary((a, b) => a / b),
  '%': () => binary((a, b) => a % b),
  ADDNAN: () => binary((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? Number.NaN : b) : Number.isNaN(b) ? a : a + b)),
  MIN: () => binary((a, b) => (unknownIfAny(a, b) ? Number.NaN : Math.min(a, b))),
  MAX: () => binary((a, b) => (unknownIfAny(a, b) ? Number.NaN : Math.max(a, b))),
  LT: () => compare((a, b) => a < b),
  GT: () => compare((a, b) => a > b),
  LE: () => compare((a, b) => a <= b),
  GE: () => compare((a, b) => a >= b),
  EQ: () => compare((a, b) => a === b),
  NE: () => compare((a, b) => a !== b),
  UN: () => unary((a) => (Number.isNaN(a) ? 1 : 0)),
  ISINF: () => unary((a) => (a === Number.POSITIVE_INFINITY || a === Number.NEGATIVE_INFINITY ? 1 : 0)),
  ABS: () => unary(Math.abs),
  SQRT: () => unary(Math.sqrt),
  FLOOR: () => unary(Math.floor),
  CEIL: () => unary(Math.ceil),
  IF: () => ({
    pops: 3,
    pushes: 1,
    op: (s) => {
      const otherwise = s.pop() as number;
      const then = s.pop() as number;
      const condition = s.pop() as number;
      s.push(condition !== 0 && !Number.isNaN(condition) ? then : otherwise);
    },
  }),
  LIMIT: () => ({
    pops: 3,
    pushes: 1,
    op: (s) => {
      const hi = s.pop() as number;
      const lo = s.pop() as number;
      const x = s.pop() as number;
      s.push(unknownIfAny(x, lo, hi) || x < lo || x > hi ? Number.NaN : x);
    },
  }),
  DUP: () => ({ pops: 1, pushes: 2, op: (s) => s.push(s[s.length - 1]) }),
  POP: () => ({ pops: 1, pushes: 0, op: (s) => void s.pop() }),
  EXC: () => ({
    pops: 2,
    pushes: 2,
    op: (s) => {
      const b = s.pop() as number;
      const a = s.pop() as number;
      s.push(b, a);
    },
  }),
  UNKN: () => ({ pops: 0, pushes: 1, push: Number.NaN }),
  INF: () => ({ pops: 0, pushes: 1, push: Number.POSITIVE_INFINITY }),
  NEGINF: () => ({ pops: 0, pushes: 1, push: Number.NEGATIVE_INFINITY }),
  TIME: () => ({ pops: 0, pushes: 1, op: (s, time) => s.push(time) }),
};

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export interface CompiledCdef {
  readonly expression: string;
  /** Field names the expression reads. */
  readonly fields: readonly string[];
  evaluate(readField: (field: string) => number, time: number): number;
}

/** Compile `expression`; `knownFields` are the plugin's field names. Throws CdefError. */
export function compileCdef(expression: string, knownFields: ReadonlySet<string>): CompiledCdef {
  const tokens = expression.split(',').map((t) => t.trim());
  const steps: CompiledStep[] = [];
  let depth = 0;
  const fail = (why: string): never => {
    throw new CdefError(`cdef "${expression}": ${why}`);
  };
  if (expression.trim() === '') fail('empty expression');
  tokens.forEach((token, position) => {
    let step: CompiledStep;
    if (token === '') fail(`empty token at position ${position + 1}`);
    if (NUMBER.test(token)) step = { pops: 0, pushes: 1, push: Number(token) };
    else if (Object.hasOwn(OPERATORS, token)) step = OPERATORS[token]();
    else if (knownFields.has(token)) step = { pops: 0, pushes: 1, field: token };
    else step = fail(`unknown operator or field "${token}" at position ${position + 1}`);
    if (depth < step.pops) fail(`"${token}" at position ${position + 1} needs ${step.pops} operands, stack has ${depth}`);
    depth += step.pushes - step.pops;
    steps.push(step);
  });
  if (depth !== 1) fail(`leaves ${depth} values on the stack instead of 1`);
  const fields = [...new Set(steps.flatMap((s) => (s.field ? [s.field] : [])))];
  return {
    expression,
    fields,
    evaluate(readField, time) {
      const stack: number[] = [];
      for (const step of steps) {
        if (step.op) step.op(stack, time);
        else if (step.field !== undefined) stack.push(readField(step.field));
        else stack.push(step.push as number);
      }
      return stack[0];
    },
  };
}

/** Evaluate a cdef over aligned series (null = unknown); non-finite results become null. */
export function applyCdef(
  cdef: CompiledCdef,
  series: ReadonlyMap<string, readonly (number | null)[]>,
  length: number,
  timeAt: (index: number) => number,
): (number | null)[] {
  const out: (number | null)[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const value = cdef.evaluate((field) => series.get(field)?.[i] ?? Number.NaN, timeAt(i));
    out[i] = Number.isFinite(value) ? value : null;
  }
  return out;
}
