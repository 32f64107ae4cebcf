import { type Call, defineFunctions, type FunctionDef, seriesListParam } from '../define.js';
import { columns, mapRows } from '../normalize.js';
import { pyD, pyFloat, pyG, pyNumber } from '../pyformat.js';
import { isNone, noneValues, type Series, type Values } from '../series.js';

/**
 * The "Transform" group. graphite-web changes some series in place (scale, offset…: the
 * raw values, name and pathExpression) and copies others (derivative…: the consolidated
 * points, a fresh series); both are kept as it does them, names included.
 */
function list(call: Call): Series[] {
  return call.args.seriesList as Series[];
}

/** f of each raw value, in place (NaN in, NaN out unless f says otherwise). */
function inPlace(call: Call, name: (s: Series) => string, f: (v: number) => number, tag?: [string, string]): Series[] {
  for (const s of list(call)) {
    if (tag) s.setTag(tag[0], tag[1]);
    s.rename(name(s));
    s.data = s.data.map(f);
  }
  return list(call);
}

function copied(call: Call, tag: string, name: (s: Series) => string, f: (points: Values, s: Series) => Values): Series[] {
  return list(call).map((s) => {
    s.setTag(tag, '1');
    return s.copy({ name: name(s), values: f(s.points(), s) });
  });
}

/** Python round(x, 6) (ties aside, which binary doubles almost never are). */
function round6(x: number): number {
  return Math.abs(x) < 1e15 ? Number(x.toFixed(6)) : x;
}

/** _nonNegativeDelta(): the increase since prev; a decrease is a wrap (maxValue/minValue) or null. */
function nonNegativeDeltas(points: Values, maxValue: number | null, minValue: number | null): Values {
  let prev = Number.NaN;
  return points.map((val) => {
    if (!isNone(val) && ((maxValue !== null && val > maxValue) || (minValue !== null && val < minValue))) {
      prev = Number.NaN;
      return Number.NaN;
    }
    if (isNone(prev) || isNone(val)) {
      prev = val;
      return Number.NaN;
    }
    const before = prev;
    prev = val;
    if (val >= before) return val - before;
    if (maxValue !== null) return maxValue + 1 + val - before - (minValue ?? 0);
    if (minValue !== null) return val - minValue;
    return Number.NaN;
  });
}

/** a ** b, None where it is not a finite number (NaN in, NaN out). */
function safePow(a: number, b: number): number {
  const r = a ** b;
  return Number.isFinite(r) ? r : Number.NaN;
}

function keepLastValue(call: Call): Series[] {
  const limit = call.args.limit as number;
  for (const s of list(call)) {
    s.rename(`keepLastValue(${s.name})`);
    const v = s.data.slice();
    let nones = 0;
    let last = Number.NaN;
    for (let i = 0; i < v.length; i++) {
      if (isNone(v[i])) {
        nones++;
        continue;
      }
      if (nones > 0 && nones <= limit && !isNone(last)) v.fill(last, i - nones, i);
      nones = 0;
      last = v[i];
    }
    if (nones > 0 && nones <= limit && !isNone(last)) v.fill(last, v.length - nones);
    s.data = v;
  }
  return list(call);
}

function transformNull(call: Call): Series[] {
  const fill = call.args.default as number;
  const given = call.args.referenceSeries as Series[] | null;
  // An empty list counts as no list (Python truthiness), for the values and the name.
  const reference = given && given.length > 0 ? given : null;
  const text = pyNumber(fill, call.isInteger('default'));
  let defaults: Values | null = null;
  if (reference) {
    const { cols, rows } = columns(reference);
    defaults = mapRows(cols, rows, (row) => (row.some((v) => !isNone(v)) ? fill : Number.NaN));
  }
  for (const s of list(call)) {
    s.setTag('transformNull', text);
    if (reference) s.setTag('referenceSeries', '1');
    s.rename(reference ? `transformNull(${s.name},${pyG(fill)},referenceSeries)` : `transformNull(${s.name},${pyG(fill)})`);
    const points = s.points();
    if (defaults) {
      const n = Math.max(points.length, defaults.length);
      const values = noneValues(n);
      for (let i = 0; i < n; i++)
        values[i] = i < points.length && !isNone(points[i]) ? points[i] : i < defaults.length ? defaults[i] : Number.NaN;
      s.data = values;
    } else s.data = points.map((v) => (isNone(v) ? fill : v));
  }
  return list(call);
}

function changed(call: Call): Series[] {
  for (const s of list(call)) {
    s.rename(`changed(${s.name})`);
    s.integerValues = true;
    let previous = Number.NaN;
    s.data = s.data.map((v) => {
      if (isNone(previous)) {
        previous = v;
        return 0;
      }
      if (!isNone(v) && previous !== v) {
        previous = v;
        return 1;
      }
      return 0;
    });
  }
  return list(call);
}

function delay(call: Call): Series[] {
  const steps = call.args.steps as number;
  return list(call).map((s) => {
    s.setTag('delay', String(steps));
    const v = s.data;
    // Python slices: series[:-0] is empty, so delay(x, 0) gives no values in graphite-web too.
    const kept = steps < 0 ? v.subarray(-steps) : steps === 0 ? v.subarray(0, 0) : v.subarray(0, Math.max(0, v.length - steps));
    const values = noneValues(kept.length + Math.min(Math.abs(steps), v.length));
    values.set(kept, steps < 0 ? 0 : values.length - kept.length);
    return s.copy({ name: `delay(${s.name},${pyD(steps)})`, values });
  });
}

const floatParam = (name: string) => ({ name, type: 'float', required: true }) as const;
const counterParams = [seriesListParam, { name: 'maxValue', type: 'float' }, { name: 'minValue', type: 'float' }] as const;

export const TRANSFORM_FUNCTIONS: FunctionDef[] = defineFunctions([
  {
    name: 'scale',
    group: 'Transform',
    description: 'Multiplies every value by factor.',
    params: [seriesListParam, floatParam('factor')],
    run: (call) => {
      const k = call.args.factor as number;
      return inPlace(
        call,
        (s) => `scale(${s.name},${pyG(k)})`,
        (v) => v * k,
        ['scale', pyFloat(k)],
      );
    },
  },
  {
    name: 'offset',
    group: 'Transform',
    description: 'Adds factor to every value.',
    params: [seriesListParam, floatParam('factor')],
    run: (call) => {
      const k = call.args.factor as number;
      return inPlace(
        call,
        (s) => `offset(${s.name},${pyG(k)})`,
        (v) => v + k,
        ['offset', pyFloat(k)],
      );
    },
  },
  {
    name: 'absolute',
    group: 'Transform',
    description: 'The absolute value of every point.',
    params: [seriesListParam],
    run: (call) =>
      inPlace(
        call,
        (s) => `absolute(${s.name})`,
        (v) => Math.abs(v),
        ['absolute', '1'],
      ),
  },
  {
    name: 'invert',
    group: 'Transform',
    description: '1 / value at every point (null for 0).',
    params: [seriesListParam],
    run: (call) =>
      inPlace(
        call,
        (s) => `invert(${s.name})`,
        (v) => safePow(v, -1),
        ['invert', '1'],
      ),
  },
  {
    name: 'pow',
    group: 'Transform',
    description: 'Every value raised to the power factor (null where undefined).',
    params: [seriesListParam, floatParam('factor')],
    run: (call) => {
      const k = call.args.factor as number;
      return inPlace(
        call,
        (s) => `pow(${s.name},${pyG(k)})`,
        (v) => safePow(v, k),
        ['pow', pyFloat(k)],
      );
    },
  },
  {
    name: 'scaleToSeconds',
    group: 'Transform',
    description: 'Scales per-step values to per-seconds values (value × seconds / step).',
    params: [seriesListParam, floatParam('seconds')],
    run: (call) => {
      const seconds = call.args.seconds as number;
      for (const s of list(call)) {
        s.setTag('scaleToSeconds', pyFloat(seconds));
        s.rename(`scaleToSeconds(${s.name},${pyD(seconds)})`);
        const factor = seconds / s.step;
        s.data = s.data.map((v) => round6(v * factor));
      }
      return list(call);
    },
  },
  {
    name: 'removeAboveValue',
    group: 'Filter Data',
    description: 'Replaces values above n by null.',
    params: [seriesListParam, floatParam('n')],
    run: (call) => {
      const n = call.args.n as number;
      return inPlace(
        call,
        (s) => `removeAboveValue(${s.name}, ${pyG(n)})`,
        (v) => (v > n ? Number.NaN : v),
      );
    },
  },
  {
    name: 'removeBelowValue',
    group: 'Filter Data',
    description: 'Replaces values below n by null.',
    params: [seriesListParam, floatParam('n')],
    run: (call) => {
      const n = call.args.n as number;
      return inPlace(
        call,
        (s) => `removeBelowValue(${s.name}, ${pyG(n)})`,
        (v) => (v < n ? Number.NaN : v),
      );
    },
  },
  {
    name: 'derivative',
    group: 'Transform',
    description: 'The difference between each value and the one before it.',
    params: [seriesListParam],
    run: (call) =>
      copied(
        call,
        'derivative',
        (s) => `derivative(${s.name})`,
        (points) => {
          let prev = Number.NaN;
          return points.map((v) => {
            const d = v - prev;
            prev = v;
            return d;
          });
        },
      ),
  },
  {
    name: 'nonNegativeDerivative',
    group: 'Transform',
    description: 'The increase between consecutive values of a counter; a decrease (reset) is null unless maxValue says it wrapped.',
    params: counterParams,
    run: (call) =>
      copied(
        call,
        'nonNegativeDerivative',
        (s) => `nonNegativeDerivative(${s.name})`,
        (points) => nonNegativeDeltas(points, call.args.maxValue as number | null, call.args.minValue as number | null),
      ),
  },
  {
    name: 'perSecond',
    group: 'Transform',
    description: 'The per-second rate of a counter (nonNegativeDerivative divided by the step).',
    params: counterParams,
    run: (call) =>
      copied(
        call,
        'perSecond',
        (s) => `perSecond(${s.name})`,
        (points, s) =>
          nonNegativeDeltas(points, call.args.maxValue as number | null, call.args.minValue as number | null).map((d) =>
            round6(d / s.step),
          ),
      ),
  },
  {
    name: 'integral',
    group: 'Transform',
    description: 'The running sum of the values (nulls stay null).',
    params: [seriesListParam],
    run: (call) =>
      copied(
        call,
        'integral',
        (s) => `integral(${s.name})`,
        (points) => {
          let total = 0;
          return points.map((v) => {
            if (isNone(v)) return Number.NaN;
            total += v;
            return total;
          });
        },
      ),
  },
  {
    name: 'logarithm',
    group: 'Transform',
    description: 'The logarithm of every value in base (10 by default); null for values <= 0.',
    params: [seriesListParam, { name: 'base', type: 'integer', default: 10 }],
    run: (call) => {
      const base = call.args.base as number;
      return list(call).map((s) => {
        s.setTag('log', String(base));
        const values = s.points().map((v) => (v <= 0 ? Number.NaN : Math.log(v) / Math.log(base)));
        return s.copy({ name: `log(${s.name}, ${base})`, values });
      });
    },
  },
  {
    name: 'delay',
    group: 'Transform',
    description: 'Shifts the values by steps points (the first ones become null).',
    params: [seriesListParam, { name: 'steps', type: 'integer', required: true }],
    run: delay,
  },
  {
    name: 'keepLastValue',
    group: 'Transform',
    description: 'Fills runs of at most limit nulls with the value before them.',
    params: [seriesListParam, { name: 'limit', type: 'intOrInf', default: Number.POSITIVE_INFINITY }],
    run: keepLastValue,
  },
  {
    name: 'transformNull',
    group: 'Transform',
    description: 'Replaces nulls by default (0), or only where one of referenceSeries has a value.',
    params: [seriesListParam, { name: 'default', type: 'float', default: 0 }, { name: 'referenceSeries', type: 'seriesList' }],
    run: transformNull,
  },
  {
    name: 'isNonNull',
    group: 'Transform',
    description: '1 where the series has a value, 0 where it is null.',
    params: [seriesListParam],
    run: (call) => {
      for (const s of list(call)) {
        s.setTag('isNonNull', '1');
        s.rename(`isNonNull(${s.name})`);
        s.data = s.points().map((v) => (isNone(v) ? 0 : 1));
        s.integerValues = true;
      }
      return list(call);
    },
  },
  {
    name: 'changed',
    group: 'Special',
    description: '1 where the value differs from the previous one, else 0.',
    params: [seriesListParam],
    run: changed,
  },
]);
