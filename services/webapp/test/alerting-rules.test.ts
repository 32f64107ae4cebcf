import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileGlob, GlobError } from '../../../common/graphite-glob/index.js';
import { AlertRuleInput, type AlertState } from '../../../common/schemas/index.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { AlertEngine, type StateRecord } from '../src/alerting/engine/evaluator.js';
import { MuninRangeError, muninRounded, parseMuninRange, unknownPointsOf } from '../src/alerting/engine/munin-range.js';
import { MuninThresholds } from '../src/alerting/engine/munin-thresholds.js';
import { RuleIndex } from '../src/alerting/engine/rule-index.js';
import { levelOfValue, muninRule, userRule } from '../src/alerting/engine/rules.js';
import { newSeriesState, observePoint, observeRepeat, percentStateChange } from '../src/alerting/engine/series-state.js';

const NO_FLAP = { window: 0, startPercent: 50, stopPercent: 25 };
const series = { hostId: 'h1', plugin: 'load', field: 'load' };

describe('munin ranges, as munin-limits reads them', () => {
  test('max, min:max, :max and min:, signed and with blanks', () => {
    assert.deepEqual(parseMuninRange('80'), { kind: 'outside', max: 80 });
    assert.deepEqual(parseMuninRange('10:60'), { kind: 'outside', min: 10, max: 60 });
    assert.deepEqual(parseMuninRange(':80'), { kind: 'outside', max: 80 });
    assert.deepEqual(parseMuninRange('10:'), { kind: 'outside', min: 10 });
    assert.deepEqual(parseMuninRange(' -5.5:+3 '), { kind: 'outside', min: -5.5, max: 3 });
    assert.deepEqual(parseMuninRange('0:3'), { kind: 'outside', min: 0, max: 3 });
  });

  test('what munin would read as 0:0 is refused with the text named', () => {
    for (const bad of ['', ':', 'abc', '1:2:3', '10:5', 'NaN', '5%']) assert.throws(() => parseMuninRange(bad), MuninRangeError, bad);
    assert.throws(() => parseMuninRange('abc'), /"abc" is not max, min:max, :max or min:/);
  });

  test('strict comparisons on the value rounded to 2 decimals; critical before warning', () => {
    const rule = muninRule(parseMuninRange('10:60'), parseMuninRange(':80'), 4, 10);
    const at = (v: number) => levelOfValue(rule, v).state;
    assert.equal(at(10), 'OK', 'equal to min is inside');
    assert.equal(at(60), 'OK', 'equal to max is inside');
    assert.equal(at(9.99), 'WARNING');
    assert.equal(at(60.004), 'OK', 'munin compares sprintf %.2f: 60.00');
    assert.equal(at(60.006), 'WARNING');
    assert.equal(at(80), 'WARNING', 'equal to the critical max is not critical');
    assert.equal(at(80.01), 'CRITICAL');
    assert.equal(muninRounded(1.005), 1, 'as %.2f of the binary value');
    assert.match(levelOfValue(rule, 95).reason, /value 95 outside critical range :80/);
  });

  test('unknown_limit: munin-limits changes on the value after the limit, at once for 1', () => {
    assert.equal(unknownPointsOf(undefined), 4);
    assert.equal(unknownPointsOf('3'), 4);
    assert.equal(unknownPointsOf('1'), 1);
    assert.equal(unknownPointsOf('0'), 1);
    assert.equal(unknownPointsOf('2'), 3);
    assert.equal(unknownPointsOf('x'), 4);
  });
});

describe('globs', () => {
  test('*, ?, classes, negated classes and brace lists', () => {
    assert.ok(compileGlob('web*').matches('web1.example.com'));
    assert.ok(!compileGlob('web*').matches('db1'));
    assert.ok(compileGlob('df_?').matches('df_a'));
    assert.ok(!compileGlob('df_?').matches('df_ab'));
    assert.ok(compileGlob('sd[a-c]').matches('sdb'));
    assert.ok(!compileGlob('sd[!a-c]').matches('sdb'));
    assert.ok(compileGlob('{cpu,load}').matches('load'));
    assert.ok(compileGlob('if_{eth,wlan}*').matches('if_wlan0'));
    assert.ok(!compileGlob('if_{eth,wlan}*').matches('if_lo'));
  });

  test('a hostile pattern costs pattern × name steps, no backtracking', () => {
    const glob = compileGlob('*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b');
    assert.equal(glob.matches('a'.repeat(255)), false);
  });

  test('broken patterns are named', () => {
    assert.throws(() => compileGlob('web[1'), GlobError);
    assert.throws(() => compileGlob('{a,b'), /unbalanced or nested "\{"/);
    assert.throws(() => compileGlob('{a,{b}}'), GlobError);
    assert.throws(() => compileGlob(`{${','.repeat(200)}}`), /more than 200 alternatives/);
  });

  test("the storage's Graphite semantics: value lists are not multiplied, a lone ] is a character", () => {
    // Seven lists of two were 128 expanded patterns (over the engine's old limit of 64); now 14 states.
    assert.ok(compileGlob('{a,b}'.repeat(7)).matches('abababa'));
    assert.ok(compileGlob('a]*').matches('a]b'));
  });
});

describe('state machine', () => {
  const rule = (hold: { points?: number; seconds?: number }, repeatMinutes = 0) =>
    userRule(
      1,
      AlertRuleInput.parse({
        name: 'load',
        target: { kind: 'source', ...series },
        warning: { kind: 'above', value: 5 },
        critical: { kind: 'above', value: 10 },
        hold,
        repeatMinutes,
      }),
    );

  test('a change needs its verdict to hold N points, recoveries too', () => {
    const r = rule({ points: 3 });
    const st = newSeriesState(r.key, series, 0);
    const feed = (v: number, t: number) => observePoint(r, st, v, t, t * 1000, NO_FLAP).map((e) => e.kind);
    assert.deepEqual(feed(7, 1), []);
    assert.deepEqual(feed(7, 2), []);
    assert.deepEqual(feed(1, 3), [], 'an OK point starts the count again');
    assert.deepEqual([feed(7, 4), feed(7, 5), feed(7, 6)].flat(), ['change']);
    assert.equal(st.state, 'WARNING');
    assert.match(st.reason, /above warning 5 for 3 points/);
    assert.deepEqual([feed(1, 7), feed(1, 8)].flat(), []);
    assert.deepEqual(feed(1, 9), ['change']);
    assert.equal(st.state, 'OK');
  });

  test('a duration hold counts by the points own timestamps', () => {
    const r = rule({ seconds: 120 });
    const st = newSeriesState(r.key, series, 0);
    observePoint(r, st, 12, 1000, 0, NO_FLAP);
    observePoint(r, st, 12, 1060, 0, NO_FLAP);
    assert.equal(st.state, 'OK');
    observePoint(r, st, 12, 1120, 0, NO_FLAP);
    assert.equal(st.state, 'CRITICAL');
  });

  test('repeats while not OK, every repeatMinutes', () => {
    const r = rule({}, 30);
    const st = newSeriesState(r.key, series, 0);
    observePoint(r, st, 12, 100, 0, NO_FLAP);
    assert.deepEqual(observeRepeat(r, st, 29 * 60_000), []);
    assert.deepEqual(observeRepeat(r, st, 30 * 60_000), [{ kind: 'repeat' }]);
    assert.deepEqual(observeRepeat(r, st, 31 * 60_000), []);
    observePoint(r, st, 1, 200, 32 * 60_000, NO_FLAP);
    assert.deepEqual(observeRepeat(r, st, 120 * 60_000), [], 'not once OK');
  });

  test('flapping stops notifications, its end tells where it settled', () => {
    const r = rule({});
    const flap = { window: 11, startPercent: 50, stopPercent: 25 };
    const st = newSeriesState(r.key, series, 0);
    const notified: AlertState[] = [];
    const feed = (v: number, t: number) => {
      for (const e of observePoint(r, st, v, t, t * 1000, flap)) if (e.kind !== 'repeat' && e.notify) notified.push(st.state);
    };
    for (let t = 0; t < 10; t++) feed(t % 2 ? 7 : 1, t + 1);
    assert.equal(st.flapping, true);
    const whileFlapping = notified.length;
    assert.ok(whileFlapping < 5, `only the first changes notify (${notified.join(',')})`);
    for (let t = 10; t < 30; t++) feed(7, t + 1);
    assert.equal(st.flapping, false);
    assert.equal(st.state, 'WARNING');
    assert.equal(st.notifiedState, 'WARNING');
    assert.ok(percentStateChange(['OK', 'WARNING', 'OK', 'WARNING'], 4) > 99);
    assert.equal(percentStateChange(['OK', 'OK', 'OK'], 21), 0);
  });

  test("the flapping flag follows Nagios' percent over the window, steady stretches included", () => {
    // A reference kept as a plain list of the last `window` verdicts, against the state's
    // steady / listed window: the same flag after every point of long random runs.
    const r = rule({});
    const flap = { window: 7, startPercent: 40, stopPercent: 20 };
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const st = newSeriesState(r.key, series, 0);
    const window: AlertState[] = [];
    let flapping = false;
    let value = 1;
    let pointsFlapping = 0;
    for (let t = 1; t <= 3000; t++) {
      // Long calm stretches and bursts of changes.
      if (next() < (t % 200 < 150 ? 0.02 : 0.6)) value = value === 1 ? 7 : 1;
      observePoint(r, st, value, t, t * 1000, flap);
      window.push(value === 7 ? 'WARNING' : 'OK');
      if (window.length > flap.window) window.shift();
      const percent = percentStateChange(window, flap.window);
      if (!flapping && percent >= flap.startPercent) flapping = true;
      else if (flapping && percent < flap.stopPercent) flapping = false;
      assert.equal(st.flapping, flapping, `point ${t}`);
      if (flapping) pointsFlapping++;
    }
    assert.ok(pointsFlapping > 100 && pointsFlapping < 2900, `both calm and flapping stretches (${pointsFlapping} points flapping)`);
  });

  test('munin unknown values turn UNKNOWN after unknown_limit, numbers recover at once', () => {
    const r = muninRule(parseMuninRange('5'), null, unknownPointsOf('3'), 10);
    const st = newSeriesState('munin', series, 0);
    for (let t = 1; t <= 3; t++) observePoint(r, st, null, t, 0, NO_FLAP);
    assert.equal(st.state, 'OK', 'three unknowns: munin keeps the old state');
    observePoint(r, st, null, 4, 0, NO_FLAP);
    assert.equal(st.state, 'UNKNOWN');
    observePoint(r, st, 1, 5, 0, NO_FLAP);
    assert.equal(st.state, 'OK');
  });
});

describe('engine and index', () => {
  test('a munin rule set again unchanged keeps the index generation; a changed one moves it and is evaluated', async () => {
    const index = new RuleIndex();
    const records: StateRecord[] = [];
    const engine = new AlertEngine({
      clock: new ManualClock(0),
      index,
      sink: { record: async (r) => void records.push(...r) },
      flap: NO_FLAP,
    });
    const point = (value: number) =>
      engine.ingestData({ v: 1, kind: 'data', hostId: 'h1', points: [{ plugin: 'load', timestamp: 60, values: { load: value } }] });
    index.setMunin(series, muninRule(parseMuninRange('5'), null, 3, 0));
    const before = index.generation;
    index.setMunin(series, muninRule(parseMuninRange('5'), null, 3, 0));
    assert.equal(index.generation, before, 'the same thresholds again change nothing');
    await point(7);
    assert.equal(records.at(-1)?.state, 'WARNING');
    index.setMunin(series, muninRule(parseMuninRange('8'), null, 3, 0));
    assert.ok(index.generation > before);
    await point(7);
    assert.equal(records.at(-1)?.state, 'OK', 'the new range applies to the next point');
  });

  test('munin thresholds from an info message, overridden per level by munin.conf, dropped with the field', async () => {
    const clock = new ManualClock();
    const index = new RuleIndex();
    const records: StateRecord[] = [];
    const engine = new AlertEngine({ clock, index, sink: { record: async (r) => void records.push(...r) }, flap: NO_FLAP });
    const problems: string[] = [];
    const thresholds = new MuninThresholds(index, { nodataMinutes: 10, report: (p) => problems.push(p) });
    const info = (fields: Record<string, { label: string; warning?: string; critical?: string }>) =>
      thresholds.fromInfo({
        v: 1,
        kind: 'info',
        hostId: 'h1',
        plugin: 'df',
        timestamp: 1_700_000_000,
        title: 'Disk',
        vlabel: '',
        base: 1000,
        category: 'disk',
        order: [],
        info: '',
        fields: fields as never,
      });
    const changes = info({ root: { label: '/', warning: '92', critical: '98' }, boot: { label: '/boot', warning: 'oops' } });
    assert.deepEqual(
      changes.map((c) => c.row?.warning),
      ['92', 'oops'],
    );
    assert.match(problems[0], /h1\/df\/boot warning: munin range "oops"/);
    for (const c of changes) thresholds.stored(c);
    const point = (v: number) =>
      engine.ingestData({ v: 1, kind: 'data', hostId: 'h1', points: [{ plugin: 'df', timestamp: 1_700_000_000, values: { root: v } }] });
    await point(95);
    assert.deepEqual(
      records.map((r) => r.state),
      ['WARNING'],
    );
    const conf = thresholds.replaceOverrides([{ series: { hostId: 'h1', plugin: 'df', field: 'root' }, warning: '80', critical: null }]);
    assert.deepEqual(
      conf.map((c) => [c.row?.source, c.row?.warning, c.row?.critical]),
      [['munin_conf', '80', null]],
    );
    await point(85);
    assert.deepEqual(
      records.map((r) => r.state),
      ['WARNING'],
      '85 is above the override 80: still WARNING',
    );
    await point(99);
    assert.deepEqual(
      records.map((r) => r.state),
      ['WARNING', 'CRITICAL'],
      "the plugin's critical still applies",
    );
    const dropped = info({ boot: { label: '/boot' } });
    assert.ok(
      dropped.some((c) => c.series.field === 'boot' && c.row === null),
      'boot lost its thresholds',
    );
    assert.equal(index.rulesFor('h1', 'df', 'boot').length, 0);
  });

  test('10,000 pattern and source rules: a series is matched once, then a map lookup', () => {
    const index = new RuleIndex();
    const exact = new Map();
    for (let i = 0; i < 5000; i++) {
      const r = userRule(
        i + 1,
        AlertRuleInput.parse({
          name: `r${i}`,
          target: { kind: 'source', hostId: `h${i}`, plugin: 'load', field: 'load' },
          warning: { kind: 'above', value: 1 },
        }),
      );
      exact.set(`h${i}\0load\0load`, [r]);
    }
    const patterns = [];
    for (let i = 0; i < 5000; i++) {
      const r = userRule(
        10_000 + i,
        AlertRuleInput.parse({
          name: `p${i}`,
          target: { kind: 'pattern', hostGlob: `db${i}.*`, pluginGlob: 'df', fieldGlob: '*' },
          warning: { kind: 'above', value: 1 },
        }),
      );
      patterns.push({ rule: r, host: compileGlob(`db${i}.*`), plugin: compileGlob('df'), field: compileGlob('*') });
    }
    index.replaceRules({ exact, patterns, exactSeries: [] });
    assert.deepEqual(
      index.rulesFor('h42', 'load', 'load').map((r) => r.key),
      ['rule:43'],
    );
    assert.deepEqual(
      index.rulesFor('db42.example', 'df', 'root').map((r) => r.key),
      ['rule:10042'],
    );
    assert.equal(index.rulesFor('web1', 'load', 'load').length, 0);
    assert.equal(index.stats().cachedSeries, 3);
  });
});
