import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadParameterError, LimitExceededError } from '../src/api/errors.js';
import { evaluateTarget } from '../src/query/evaluator.js';
import { RenderBudget } from '../src/query/limits.js';
import { parseTarget } from '../src/query/parser.js';
import { functionInfo, functionList } from '../src/query/registry.js';
import { applyMaxDataPoints, toJson, toRaw } from '../src/query/render.js';
import { FROM, memoryContext, run, UNTIL } from './query-fixtures.js';

// a.x: 1, 2, 3… per minute; a.y: 10 everywhere; b.x: null every other minute; slow.x: 5-minute step.
const stored = {
  'a.x': { step: 60, at: (t: number) => (t - FROM) / 60 },
  'a.y': { step: 60, at: () => 10 },
  'b.x': { step: 60, at: (t: number) => (((t - FROM) / 60) % 2 === 1 ? null : 4) },
  'slow.x': { step: 300, at: () => 50 },
  'c.counter': { step: 60, at: (t: number) => (t < FROM + 1800 ? (t - FROM) * 2 : (t - FROM - 1800) * 2) },
  'nul.x': { step: 60, at: () => null },
};

async function one(target: string) {
  const list = await run(target, memoryContext(stored));
  assert.equal(list.length, 1, `${target}: one series expected, got ${list.map((s) => s.name).join(', ')}`);
  return list[0];
}

describe('query engine: combining series', () => {
  it('sums, averages and counts rows, named by the path expressions', async () => {
    const sum = await one('sumSeries(a.*)');
    assert.equal(sum.name, 'sumSeries(a.*)');
    assert.deepEqual(sum.tags, { name: 'sumSeries(a.*)', aggregatedBy: 'sum' });
    assert.deepEqual(sum.values.slice(0, 3), [11, 12, 13]);
    assert.equal((await one('averageSeries(a.x, a.y)')).name, 'averageSeries(a.x,a.y)');
    assert.deepEqual((await one('countSeries(a.*, b.x)')).values.slice(0, 2), [3, 3]);
    assert.deepEqual((await one('diffSeries(a.y, a.x)')).values.slice(0, 2), [9, 8]);
    assert.deepEqual((await one('rangeOfSeries(a.*)')).values.slice(0, 2), [9, 8]);
    assert.deepEqual((await one('multiplySeries(a.*)')).values.slice(0, 2), [10, 20]);
  });

  it('gives no series for empty lists, and null rows where every series is null', async () => {
    const ctx = memoryContext(stored);
    for (const target of [
      'sumSeries(none.*)',
      'averageSeries(none.*)',
      'divideSeries(none.*, a.y)',
      'asPercent(none.*)',
      'countSeries(none.*)',
    ]) {
      assert.deepEqual(await run(target, ctx), [], target);
    }
    const nulls = await one('sumSeries(nul.x, b.x)');
    assert.equal(nulls.values[0], null);
    assert.equal(nulls.values[1], 4);
    assert.equal((await one('countSeries()')).name, '0');
  });

  it('brings mismatched steps to their least common multiple (consolidated by average)', async () => {
    const sum = await one('sumSeries(a.x, slow.x)');
    assert.equal(sum.step, 300);
    // a.x's first five minutes 1..5 average to 3, plus 50.
    assert.equal(sum.values[0], 53);
    assert.equal(sum.values.length, 12);
  });

  it('divides by one series (null for 0 or null), percents and percentiles', async () => {
    const q = await one('divideSeries(a.x, a.y)');
    assert.equal(q.name, 'divideSeries(a.x,a.y)');
    assert.equal(q.values[0], 0.1);
    const byZero = await one('divideSeries(a.y, transformNull(nul.x))');
    assert.ok(byZero.values.every((v) => v === null));
    await assert.rejects(run('divideSeries(a.y, a.*)', memoryContext(stored)), /exactly 1 series/);
    const pct = await run('asPercent(a.*)', memoryContext(stored));
    assert.deepEqual(
      pct.map((s) => s.name),
      ['asPercent(a.x,sumSeries(a.*))', 'asPercent(a.y,sumSeries(a.*))'],
    );
    assert.ok(Math.abs((pct[1].values[0] as number) - (10 / 11) * 100) < 1e-9);
    assert.equal((await one('asPercent(a.x, 200)')).name, 'asPercent(a.x,200)');
    assert.equal((await one('percentileOfSeries(a.*, 50)')).name, 'percentileOfSeries(a.*,50)');
  });

  it('groups by node and with wildcards, callbacks included', async () => {
    const groups = await run('groupByNode(*.x, 0, "sum")', memoryContext(stored));
    assert.deepEqual(
      groups.map((s) => s.name),
      ['a', 'b', 'nul', 'slow'],
    );
    const viaFunction = await run('groupByNode(a.*, 0, "sumSeries")', memoryContext(stored));
    assert.deepEqual(viaFunction[0].values.slice(0, 2), [11, 12]);
    const wild = await run('sumSeriesWithWildcards(*.x, 0)', memoryContext(stored));
    assert.deepEqual(
      wild.map((s) => s.name),
      ['x'],
    );
    const nodes = await run('groupByNodes(a.*, "max", 1)', memoryContext(stored));
    assert.deepEqual(
      nodes.map((s) => s.name),
      ['x', 'y'],
    );
  });
});

describe('query engine: transforms', () => {
  it('names in-place transforms with %g and keeps nulls', async () => {
    assert.equal((await one('scale(a.x, 100)')).name, 'scale(a.x,100)');
    assert.equal((await one('scale(a.x, 0.000001)')).name, 'scale(a.x,1e-06)');
    assert.equal((await one('offset(b.x, -1)')).values[1], 3);
    assert.equal((await one('offset(b.x, -1)')).values[0], null);
    assert.equal((await one('removeBelowValue(a.x, 3)')).name, 'removeBelowValue(a.x, 3)');
    assert.equal((await one('transformNull(b.x)')).name, 'transformNull(b.x,0)');
    assert.equal((await one('transformNull(b.x)')).values[0], 0);
    assert.equal((await one('keepLastValue(b.x)')).values[2], 4);
    assert.equal((await one('keepLastValue(b.x, 0)')).values[2], null);
  });

  it('counters: derivative, nonNegativeDerivative (a reset is null), perSecond, integral', async () => {
    const d = await one('nonNegativeDerivative(c.counter)');
    assert.equal(d.values[0], null);
    assert.equal(d.values[1], 120);
    assert.equal(d.values[29], null, 'the reset at FROM + 1800 gives no negative rate');
    const wrapped = await one('nonNegativeDerivative(c.counter, 10000)');
    assert.equal(wrapped.values[29], 10000 + 1 + 0 - 3480);
    assert.equal((await one('perSecond(c.counter)')).values[1], 2);
    assert.deepEqual((await one('integral(a.x)')).values.slice(0, 3), [1, 3, 6]);
    assert.deepEqual((await one('derivative(a.x)')).values.slice(0, 2), [null, 1]);
  });

  it('moving windows fetch the preview and handle all-null windows', async () => {
    const avg = await one('movingAverage(a.x, 5)');
    assert.equal(avg.name, 'movingAverage(a.x,5)');
    assert.equal(avg.start, FROM + 60);
    // The window before the first point holds -4..0.
    assert.equal(avg.values[0], -2);
    assert.equal(avg.values[10], 8);
    const byTime = await one('movingSum(a.y, "10min")');
    assert.equal(byTime.name, 'movingSum(a.y,"10min")');
    assert.equal(byTime.values[0], 100);
    assert.ok((await one('movingMax(nul.x, 3)')).values.every((v) => v === null));
    assert.equal((await one('movingMax(a.x, 3)')).values[5], 5);
    assert.equal((await one('movingMin(a.x, 3)')).values[5], 3);
    assert.equal((await one('movingMedian(a.x, 3)')).values[5], 4);
  });

  it('summarize and hitcount build buckets on the interval', async () => {
    const s = await one('summarize(a.y, "10min")');
    assert.equal(s.name, 'summarize(a.y, "10min", "sum")');
    assert.equal(s.step, 600);
    assert.equal(s.values[1], 100);
    assert.equal((await one('summarize(a.y, "10min", "avg", true)')).name, 'summarize(a.y, "10min", "avg", true)');
    const h = await one('hitcount(a.y, "10min")');
    assert.equal(h.values.at(-1), 6000);
    await assert.rejects(run('summarize(a.y, "-1h")', memoryContext(stored)), /positive/);
  });

  it('timeShift reads the earlier window and draws it over the current one', async () => {
    const s = await one('timeShift(a.x, "10min")');
    assert.equal(s.name, 'timeShift(a.x, "-10min")');
    assert.equal(s.start, FROM + 60);
    assert.equal(s.values[0], -9);
  });
});

describe('query engine: filters, sorting, names', () => {
  it('keeps and orders series by their values', async () => {
    const ctx = () => memoryContext(stored);
    const names = async (target: string) => (await run(target, ctx())).map((s) => s.name);
    assert.deepEqual(await names('highestAverage(*.x, 2)'), ['slow.x', 'a.x']);
    assert.deepEqual(await names('lowestCurrent(a.*, 1)'), ['a.y']);
    assert.deepEqual(await names('maximumAbove(a.*, 10)'), ['a.x']);
    assert.deepEqual(await names('averageBelow(*.x, 5)'), ['b.x', 'nul.x']);
    assert.deepEqual(await names('removeEmptySeries(*.x)'), ['a.x', 'b.x', 'slow.x']);
    assert.deepEqual(await names('exclude(*.x, "^(a|b)")'), ['nul.x', 'slow.x']);
    assert.deepEqual(await names('grep(*.x, "^(a|b)")'), ['a.x', 'b.x']);
    assert.deepEqual(await names('sortByName(*.x, false, true)'), ['slow.x', 'nul.x', 'b.x', 'a.x']);
    assert.deepEqual(await names('limit(sortByMaxima(*.x), 1)'), ['a.x']);
    assert.deepEqual(await names('aliasByNode(a.*, 1)'), ['x', 'y']);
    assert.deepEqual(await names('aliasByMetric(scale(a.x, 2))'), ['x']);
    assert.deepEqual(await names('aliasByNode(scale(a.x, 2), 0)'), ['a']);
    assert.deepEqual(await names('legendValue(a.y, "avg", "last")'), ['a.y (avg: 10.0) (last: 10.0)']);
    assert.deepEqual(await names('cactiStyle(a.y)'), ['a.y Current:10.00    Max:10.00    Min:10.00    ']);
    assert.deepEqual(await names('dashed(secondYAxis(a.y))'), ['dashed(secondYAxis(a.y), 5)']);
    assert.deepEqual(await names('consolidateBy(a.y, "max")'), ['consolidateBy(a.y,"max")']);
  });

  it('refuses bad arguments with a 400 naming function and parameter', async () => {
    const ctx = memoryContext(stored);
    const cases: Array<[string, RegExp]> = [
      ['scale(a.x)', /scale: missing required parameter "factor"/],
      ['scale(a.x, "2")', /scale: parameter "factor" must be a number/],
      ['movingAverage(a.x, 1.5)', /windowSize/],
      ['highestAverage(a.x, 1.5)', /must be an integer/],
      ['consolidateBy(a.x, "median")', /must be one of/],
      ['aggregate(a.*, "nope")', /aggregation function/],
      ['summarize(a.x, "5m")', /interval/],
      ['scale(a.x, 2, 3)', /too many arguments/],
      ['scale(a.x, nope=2)', /unexpected keyword argument "nope"/],
      ['alias("x", "y")', /seriesList/],
    ];
    for (const [target, message] of cases) {
      await assert.rejects(
        evaluateTarget(parseTarget(target), ctx),
        (e: unknown) => e instanceof BadParameterError && e.parameter === 'target' && message.test(e.message),
        target,
      );
    }
  });

  it('stops a render that builds too many values or takes too long', async () => {
    const ctx = memoryContext(stored);
    ctx.budget = new RenderBudget({ maxSeries: 1000, maxPointsBuilt: 300, maxMillis: 60_000 }, () => 0);
    await assert.rejects(
      run('sumSeries(a.*, a.*, a.*)', ctx),
      (e: unknown) => e instanceof LimitExceededError && e.limit === 'max_points_built',
    );
    let now = 0;
    const slow = memoryContext(stored);
    slow.budget = new RenderBudget({ maxSeries: 1000, maxPointsBuilt: 1e9, maxMillis: 100 }, () => (now += 50));
    await assert.rejects(
      run('scale(scale(scale(a.x, 1), 1), 1)', slow),
      (e: unknown) => e instanceof LimitExceededError && e.limit === 'render_time_limit',
    );
  });
});

describe('query engine: output', () => {
  it('consolidates to maxDataPoints with aligned buckets and consolidateBy', async () => {
    const [avg] = await run('a.x', memoryContext(stored));
    applyMaxDataPoints([avg], 6);
    const [json] = toJson([avg], false);
    assert.equal(json.datapoints.length, 6);
    for (const [, t] of json.datapoints) assert.equal(t % 600, 0);
    const [max] = await run('consolidateBy(a.x, "max")', memoryContext(stored));
    applyMaxDataPoints([max], 6);
    const [first] = toJson([max], false)[0].datapoints;
    // graphite-web's nudge moves start by 9 slots but drops 8 values: the first bucket holds 9..18.
    assert.deepEqual(first, [18, FROM + 600]);
    assert.equal(
      toRaw(await run('countSeries(a.x)', memoryContext(stored)))
        .split('|')[1]
        .slice(0, 4),
      '1,1,',
    );
  });

  it("describes every function for GET /functions in graphite-web's shape", () => {
    const list = functionList({});
    assert.ok(Object.keys(list).length >= 80, String(Object.keys(list).length));
    assert.deepEqual(functionInfo('keepLastValue'), {
      name: 'keepLastValue',
      function: 'keepLastValue(seriesList, limit=inf)',
      description: 'Fills runs of at most limit nulls with the value before them.',
      module: 'graphite.render.functions',
      group: 'Transform',
      params: [
        { name: 'seriesList', type: 'seriesList', required: true },
        { name: 'limit', type: 'intOrInf', default: Number.POSITIVE_INFINITY },
      ],
    });
    assert.equal(functionInfo('sum')?.function, 'sum(*seriesLists)');
    assert.ok(Object.keys(functionList({ grouped: true })).includes('Combine'));
  });
});

export { UNTIL };
