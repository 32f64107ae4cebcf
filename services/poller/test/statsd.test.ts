import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, describe, test } from 'node:test';
import StatsD from 'hot-shots';
import { createLogger } from '../../../common/logging/index.js';
import { Message, type PluginInfoMessage } from '../../../common/schemas/index.js';
import { StatsdAggregator } from '../src/modules/statsd/aggregate.js';
import { StatsdModule } from '../src/modules/statsd/module.js';
import { parseStatsdLine } from '../src/modules/statsd/parse.js';
import { statsdSection } from '../src/modules/statsd/settings.js';

const logger = createLogger({ name: 'statsd-test', level: 'silent' });

describe('statsd lines', () => {
  const table: Array<[string, unknown]> = [
    ['gorets:1|c', [{ name: 'gorets', type: 'counter', value: 1, member: '', delta: false, sampleRate: 1 }]],
    ['gorets:1|c|@0.1', [{ name: 'gorets', type: 'counter', value: 1, member: '', delta: false, sampleRate: 0.1 }]],
    ['glork:320|ms', [{ name: 'glork', type: 'timer', value: 320, member: '', delta: false, sampleRate: 1 }]],
    ['h:3|h|#env:prod,role:web', [{ name: 'h', type: 'timer', value: 3, member: '', delta: false, sampleRate: 1 }]],
    ['gaugor:-10|g', [{ name: 'gaugor', type: 'gauge', value: -10, member: '', delta: true, sampleRate: 1 }]],
    ['uniques:765|s', [{ name: 'uniques', type: 'set', value: 0, member: '765', delta: false, sampleRate: 1 }]],
    ['a b/c!d:1|c', [{ name: 'a_b-cd', type: 'counter', value: 1, member: '', delta: false, sampleRate: 1 }]],
    ['multi:1|c:2|ms', 2],
    ['gorets', 'malformed'],
    [':1|c', 'malformed'],
    ['gorets:1', 'malformed'],
    ['gorets:1|x', 'bad_type'],
    ['gorets:abc|c', 'bad_value'],
    ['gorets:nan|c', 'bad_value'],
    ['gorets:inf|ms', 'value_out_of_range'],
    ['gorets:1|c|@0', 'bad_sample_rate'],
    ['gorets:1|c|@2', 'bad_sample_rate'],
    ['gorets:1|c|junk', 'malformed'],
    ['', null],
  ];
  for (const [line, expected] of table)
    test(JSON.stringify(line), () => {
      const got = parseStatsdLine(line);
      if (typeof expected === 'number') assert.equal((got as unknown[]).length, expected);
      else assert.deepEqual(got, expected);
    });
});

describe('statsd aggregation (etsy StatsD semantics)', () => {
  const sample = (line: string) => (parseStatsdLine(line) as NonNullable<Exclude<ReturnType<typeof parseStatsdLine>, string>>)[0];
  test('counters with sample rates, gauges with deltas, timers with percentiles, sets', () => {
    const agg = new StatsdAggregator({ maxTimerValues: 1000, maxSetSize: 100 });
    for (let i = 0; i < 3; i++) agg.add(sample('hits:1|c|@0.1'));
    for (const line of ['temp:10|g', 'temp:+5|g', 'temp:-3|g']) agg.add(sample(line));
    for (let v = 10; v >= 1; v--) agg.add(sample(`rt:${v}|ms`));
    for (const m of ['a', 'b', 'a']) agg.add(sample(`users:${m}|s`));
    const out = Object.fromEntries(agg.take(10, [90, 99.5]).map((a) => [a.name, a.stats]));
    assert.deepEqual(out.hits, { '': 3, count: 30 });
    assert.deepEqual(out.temp, { '': 12 });
    assert.deepEqual(out.users, { '': 2 });
    assert.deepEqual(out.rt, {
      count: 10,
      count_ps: 1,
      lower: 1,
      upper: 10,
      sum: 55,
      mean: 5.5,
      median: 5.5,
      std: Math.sqrt(8.25),
      count_90: 9,
      mean_90: 5,
      sum_90: 45,
      upper_90: 9,
      count_99_5: 10,
      mean_99_5: 5.5,
      sum_99_5: 55,
      upper_99_5: 10,
    });
    const next = agg.take(10, [90]);
    assert.deepEqual(next, [], 'a new interval starts empty; an untouched gauge is not published again');
    agg.add(sample('temp:+1|g'));
    assert.deepEqual(agg.take(10, [90]), [{ name: 'temp', type: 'gauge', stats: { '': 13 } }], 'the gauge kept its value for deltas');
  });

  test('a timer with one value: the percentiles are that value', () => {
    const agg = new StatsdAggregator({ maxTimerValues: 1000, maxSetSize: 100 });
    agg.add(sample('one:7|ms'));
    const [one] = agg.take(10, [90]);
    assert.equal(one.stats.upper_90, 7);
    assert.equal(one.stats.mean_90, 7);
    assert.equal(one.stats.count_90, 1);
  });
});

describe('statsd module with a real client (hot-shots)', () => {
  const modules: StatsdModule[] = [];
  after(async () => {
    for (const m of modules) await m.stop();
  });

  test('what hot-shots sends is aggregated, named host.plugin.ds(_stat) and published with infos', async () => {
    const published: Message[] = [];
    const module = new StatsdModule(statsdSection.parse({ listen: '127.0.0.1:0', flush_interval: '10' }), {
      publish: async (messages) => void published.push(...messages),
      selfHost: 'poller-self',
      logger,
      nowSeconds: () => 1_800_000_000.5,
      refreshSeconds: 300,
      maxPointsPerMessage: 500,
    });
    modules.push(module);
    await module.start();
    const client = new StatsD({ host: '127.0.0.1', port: module.port, prefix: 'app1.', datadog: false, errorHandler: () => {} });
    const sent = (fn: (cb: (error?: Error) => void) => void) =>
      new Promise<void>((resolve, reject) => fn((e) => (e ? reject(e) : resolve())));
    for (let i = 0; i < 5; i++) await sent((cb) => client.increment('api.requests', 2, cb));
    for (const v of [10, 20, 30, 40]) await sent((cb) => client.timing('api.latency', v, cb));
    await sent((cb) => client.gauge('api.queue', 7, cb));
    await sent((cb) => client.unique('api.users', 'alice', cb));
    await sent((cb) => client.unique('api.users', 'bob', cb));
    await sent((cb) => client.increment('bad name with * star', 1, cb));
    await new Promise<void>((resolve) => client.close(() => resolve()));
    const raw = createSocket('udp4');
    await new Promise<void>((resolve) => raw.send('app1.api.requests:1|c|@0.5\nnot-statsd', module.port, '127.0.0.1', () => resolve()));
    raw.close();
    const deadline = Date.now() + 5000;
    while (module.stats().lines < 14 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await module.flush();
    for (const m of published) Message.parse(m);
    const data = published.filter((m) => m.kind === 'data');
    assert.equal(data.length, 1, 'one data message for the host');
    assert.equal(data[0].hostId, 'app1');
    const point = data[0].points.find((p) => p.plugin === 'api');
    assert.ok(point);
    assert.equal(point.timestamp, 1_800_000_000);
    assert.equal(point.values.requests, 1.2, '(5 × 2 + 1 / 0.5) per 10 s');
    assert.equal(point.values.requests_count, 12);
    assert.equal(point.values.latency_mean, 25);
    assert.equal(point.values.latency_upper_90, 40);
    assert.equal(point.values.latency_count, 4);
    assert.equal(point.values.queue, 7);
    assert.equal(point.values.users, 2);
    const info = published.find((m): m is PluginInfoMessage => m.kind === 'info' && m.plugin === 'api');
    assert.ok(info);
    assert.equal(info.category, 'statsd');
    assert.equal(info.fields.requests.type, 'GAUGE');
    assert.match(info.fields.latency_upper_90.info ?? '', /StatsD timer/);
    assert.ok(published.some((m) => m.kind === 'host' && m.hostId === 'app1'));
    assert.equal(module.refusals().malformed, 1);
  });
});
