import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AlertRuleInput, type DataMessage } from '../../../common/schemas/index.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { AlertEngine, type StateRecord } from '../src/alerting/engine/evaluator.js';
import { parseMuninRange } from '../src/alerting/engine/munin-range.js';
import { RuleIndex } from '../src/alerting/engine/rule-index.js';
import { type CompiledRule, certainlyOkRange, muninRule, stateOfValue, userRule } from '../src/alerting/engine/rules.js';
import { newSeriesState, observePoint, observeSilence, type SeriesState } from '../src/alerting/engine/series-state.js';

/**
 * The engine skips the rules of a series whose states are all settled when a point is inside
 * their certainly-OK range (evaluator.ts, SeriesTrack.calm). These tests hold it to what
 * evaluating every rule on every point gives.
 */
const series = { hostId: 'h1', plugin: 'load', field: 'load' };
const user = (id: number, definition: object) =>
  userRule(id, AlertRuleInput.parse({ name: `rule ${id}`, target: { kind: 'source', ...series }, ...definition }));

describe('the certainly-OK range', () => {
  test('plain comparisons: exactly the values every level leaves OK, bounds included', () => {
    const r = user(1, { warning: { kind: 'outside', min: 10, max: 60 }, critical: { kind: 'above', value: 80 } });
    assert.deepEqual(certainlyOkRange(r), { low: 10, high: 60 });
    assert.deepEqual(certainlyOkRange(user(2, { critical: { kind: 'below', value: 3 } })), { low: 3, high: Number.POSITIVE_INFINITY });
    const silentOnly = user(3, { critical: { kind: 'nodata', minutes: 5 } });
    assert.deepEqual(certainlyOkRange(silentOnly), { low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY });
  });

  test('rounded (munin) rules: every value inside is OK once rounded, at small and huge magnitudes', () => {
    for (const text of ['60', '0.07:0.5', '-3:', '123456789012.34', ':1e15', '1e-9:2e-9']) {
      const r = muninRule(parseMuninRange(text), null, 4, 10);
      const { low, high } = certainlyOkRange(r);
      for (const bound of [low, high].filter(Number.isFinite)) {
        for (const v of [bound, bound + Math.abs(bound) * 1e-15, bound - Math.abs(bound) * 1e-15]) {
          if (v >= low && v <= high) assert.equal(stateOfValue(r, v), 'OK', `${text}: ${v}`);
        }
      }
      assert.ok(low <= high || text === '1e-9:2e-9', `${text}: a range, not empty`);
    }
  });
});

/** A reference: every rule evaluated on every point, each state on its own (no engine, no calm path). */
class Reference {
  readonly states = new Map<string, SeriesState>();
  constructor(private readonly rules: CompiledRule[]) {}
  point(value: number | null, pointS: number, nowMs: number, flap: { window: number; startPercent: number; stopPercent: number }) {
    const out: string[] = [];
    for (const rule of this.rules) {
      let st = this.states.get(rule.key);
      if (!st) {
        st = newSeriesState(rule.key, series, nowMs);
        this.states.set(rule.key, st);
      }
      for (const e of observePoint(rule, st, value, pointS, nowMs, flap)) out.push(line(rule.key, e.kind, st));
    }
    return out;
  }
}

/** One record or event, in words, to compare the two. */
const line = (ruleKey: string, kind: string, st: { state: string; reason: string; value: number | null; flapping: boolean }) =>
  `${ruleKey} ${kind} ${st.state} ${st.reason} ${st.value} ${st.flapping}`;

const RULES = [
  muninRule(parseMuninRange('10:60'), parseMuninRange(':80'), 3, 10),
  user(1, { warning: { kind: 'above', value: 50 }, hold: { points: 3 } }),
  user(2, { critical: { kind: 'below', value: 5 }, hold: { points: 1, seconds: 120 } }),
  user(3, { warning: { kind: 'outside', min: 20, max: 40 }, critical: { kind: 'nodata', minutes: 5 } }),
];
const FLAP = { window: 7, startPercent: 40, stopPercent: 20 };

/** The verdicts in a state's flapping window, the calm points its track holds for it included. */
function windowLength(st: Readonly<SeriesState>): number {
  if (st.recent.length > 0) return st.recent.length;
  const spared = st.track.calm?.includes(st as SeriesState) ? st.track.calmPoints : 0;
  return Math.min(FLAP.window, st.steadyCount + spared);
}

/** Feeds `values` (one a minute) to an engine and to the reference; asserts the same records and states after each. */
async function compareWithReference(values: Array<number | null>): Promise<{ engine: AlertEngine; records: StateRecord[] }> {
  const index = new RuleIndex();
  index.setMunin(series, RULES[0]);
  const exact = new Map([[`${series.hostId}\0${series.plugin}\0${series.field}`, RULES.slice(1)]]);
  index.replaceRules({ exact, patterns: [], exactSeries: RULES.slice(1).map((rule) => ({ rule, series })) });
  const clock = new ManualClock(0);
  const records: StateRecord[] = [];
  const engine = new AlertEngine({ clock, index, sink: { record: async (r) => void records.push(...r) }, flap: FLAP });
  const reference = new Reference(RULES);
  for (const [i, value] of values.entries()) {
    const t = i + 1;
    await clock.advance(60_000);
    const message: DataMessage = {
      v: 1,
      kind: 'data',
      hostId: series.hostId,
      points: [{ plugin: 'load', timestamp: t * 60, values: { load: value } }],
    };
    const before = records.length;
    const evaluationsBefore = engine.counters.evaluations;
    await engine.ingestData(message);
    assert.equal(engine.counters.evaluations - evaluationsBefore, RULES.length, 'every rule counts as evaluated');
    const got = records.slice(before).map((rec) => line(rec.ruleKey, rec.event.kind, rec));
    assert.deepEqual(got, reference.point(value, t * 60, clock.nowMs(), FLAP), `point ${t} (${value})`);
    const states = [...engine.states()];
    for (const [key, want] of reference.states) {
      const st = states.find((s) => s.ruleKey === key);
      assert.ok(st, key);
      const words = (x: Readonly<SeriesState>) =>
        `${x.state} ${x.flapping} ${x.pending?.points} ${x.value} ${x.lastPointS} window ${windowLength(x)}`;
      assert.equal(words(st), words(want), `${key} at ${t}`);
    }
  }
  return { engine, records };
}

describe('the calm path', () => {
  test('random points near and far from the thresholds: the same records and states as evaluating every rule', async () => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const values: Array<number | null> = [];
    let calmPoints = 0;
    for (let t = 1; t <= 3000; t++) {
      // Long calm stretches inside every range, bursts across the thresholds, a few unknowns.
      const burst = t % 300 > 240;
      const value = random() < 0.01 ? null : burst ? Math.round(random() * 9000) / 100 : 25 + Math.round(random() * 1400) / 100;
      values.push(value);
      if (!burst && value !== null) calmPoints++;
    }
    const { engine, records } = await compareWithReference(values);
    assert.ok(calmPoints > 2000, 'long calm stretches were fed');
    assert.ok(engine.counters.calm > calmPoints / 2, `and most of them took the calm path (${engine.counters.calm})`);
    assert.ok(records.some((r) => r.state === 'CRITICAL') && records.some((r) => r.event.kind === 'flapping'), 'and problems and flapping');
  });

  test('a new series calm for a few points, then flapping: its windows count the calm points', async () => {
    for (let calm = 1; calm <= FLAP.window + 1; calm++) {
      const values = [...Array(calm).fill(30), ...Array.from({ length: 12 }, (_, i) => (i % 2 ? 30 : 45))];
      const { records } = await compareWithReference(values);
      assert.ok(
        records.some((r) => r.event.kind === 'flapping'),
        `${calm} calm points, then flapping`,
      );
    }
  });

  test('a silence after a calm stretch is measured from the last point of the series, for every rule', async () => {
    const rule = user(1, { warning: { kind: 'above', value: 50 }, critical: { kind: 'nodata', minutes: 5 } });
    const index = new RuleIndex();
    const exact = new Map([[`${series.hostId}\0${series.plugin}\0${series.field}`, [rule]]]);
    index.replaceRules({ exact, patterns: [], exactSeries: [{ rule, series }] });
    const clock = new ManualClock(0);
    const records: StateRecord[] = [];
    const engine = new AlertEngine({
      clock,
      index,
      sink: { record: async (r) => void records.push(...r) },
      flap: { window: 5, startPercent: 40, stopPercent: 20 },
    });
    for (let t = 1; t <= 10; t++) {
      await clock.advance(60_000);
      await engine.ingestData({
        v: 1,
        kind: 'data',
        hostId: series.hostId,
        points: [{ plugin: 'load', timestamp: t * 60, values: { load: 3 } }],
      });
    }
    const st = [...engine.states()][0];
    assert.equal(st.lastSeenMs, clock.nowMs(), 'the calm points moved the series forward');
    assert.equal(st.value, 3);
    await clock.advance(4 * 60_000);
    await engine.sweep();
    assert.equal(records.length, 0, 'four minutes silent: not yet');
    await clock.advance(60_000);
    await engine.sweep();
    assert.deepEqual(
      records.map((r) => `${r.state} ${r.reason} ${r.value}`),
      ['CRITICAL no data for 5 minutes (limit 5) 3'],
    );
    // The reference agrees: the same silence on a state that saw every point.
    const alone = newSeriesState(rule.key, series, 0);
    for (let t = 1; t <= 10; t++) observePoint(rule, alone, 3, t * 60, t * 60_000, { window: 5, startPercent: 40, stopPercent: 20 });
    assert.equal(observeSilence(rule, alone, 15 * 60_000)[0]?.kind, 'change');
  });
});
