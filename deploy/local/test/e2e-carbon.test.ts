/**
 * Graphite-ecosystem clients end to end, on a stack started as `npm start` does: Debian's
 * collectd (write_graphite, TCP, every second) and the npm StatsD client hot-shots send to
 * a poller running the carbon and statsd modules; what they sent must come back through
 * the storage's Graphite API under the paths they sent, across a broker outage (a TCP
 * proxy of the test's own is cut) and a poller SIGKILL. A recording relay between
 * collectd and the module is the oracle of what was sent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import StatsD from 'hot-shots';
import { TcpProxy } from '../../../common/testing/tcp-proxy.js';
import { freePort, waitFor } from '../stack/probes.js';
import { Collectd, RecordingRelay } from './carbon-peers.js';
import { e2eName, Observer, sleep, startTestStack, type TestStack } from './fixtures.js';

describe('carbon and StatsD clients end to end', () => {
  let t: TestStack;
  let proxy: TcpProxy;
  let observer: Observer;
  let relay: RecordingRelay;
  let collectd: Collectd;
  let api: string;
  const pollerHost = e2eName('carbon-poller');
  const collectdHost = `cd${randomBytes(4).toString('hex')}`;
  const appHost = `app${randomBytes(4).toString('hex')}`;
  let statsdPort = 0;
  let carbonPort = 0;

  before(async () => {
    carbonPort = await freePort();
    statsdPort = await freePort();
    proxy = new TcpProxy(5672);
    await proxy.start();
    t = await startTestStack({
      pollers: [
        {
          name: 'carbon',
          hostId: pollerHost,
          modules: 'carbon|statsd',
          pollerTime: 1,
          extra: {
            global: { spool_fsync: 'always' },
            CarbonModule: { listen: `127.0.0.1:${carbonPort}` },
            StatsdModule: { listen: `127.0.0.1:${statsdPort}`, flush_interval: '1' },
          },
        },
      ],
      beforeStart: async (vhost, options) => {
        observer = new Observer(vhost.url);
        await observer.start();
        const url = new URL(vhost.url);
        url.port = String(proxy.port);
        options.pollers[0].amqpUrl = url.toString();
      },
    });
    api = [...t.stack.storages.values()][0].apiUrl;
    relay = new RecordingRelay(carbonPort);
    await relay.start();
    collectd = new Collectd(collectdHost, relay.port);
    collectd.start();
  });

  after(async () => {
    await collectd?.stop();
    await relay?.stop();
    await observer?.stop();
    await t?.cleanup();
    await proxy?.stop();
  });

  async function render(target: string, from: number, until: number): Promise<Map<string, Map<number, number>>> {
    const url = `${api}/render?target=${encodeURIComponent(target)}&from=${from}&until=${until}&format=json`;
    const response = await fetch(url);
    assert.equal(response.status, 200, await response.clone().text());
    const out = new Map<string, Map<number, number>>();
    for (const series of (await response.json()) as Array<{ target: string; datapoints: Array<[number | null, number]> }>) {
      const points = new Map<number, number>();
      for (const [value, ts] of series.datapoints) if (value !== null) points.set(ts, value);
      out.set(series.target, points);
    }
    return out;
  }

  async function find(query: string): Promise<string[]> {
    const response = await fetch(`${api}/metrics/find?query=${encodeURIComponent(query)}`);
    return ((await response.json()) as Array<{ text: string }>).map((n) => n.text).sort();
  }

  /** Every line the relay handed on in [from, until] (by its timestamp) is in the storage, with its value. */
  async function everyLineStored(from: number, until: number, timeoutMs = 60_000) {
    let report = { lines: 0, missing: [] as string[], wrong: [] as string[] };
    await waitFor(
      'every line collectd sent stored',
      async () => {
        // A path comes back as sent: one glob per depth (`*` is one node), 3 to 5 nodes for collectd.
        const stored = new Map<string, Map<number, number>>();
        for (const target of [`${collectdHost}.*.*`, `${collectdHost}.*.*.*`, `${collectdHost}.*.*.*.*`])
          for (const [path, points] of await render(target, from - 1, until + 1)) stored.set(path, points);
        report = { lines: 0, missing: [], wrong: [] };
        for (const path of relay.paths()) {
          const got = stored.get(path) ?? new Map<number, number>();
          for (const [ts, value] of relay.series(path, from, until)) {
            report.lines++;
            const v = got.get(ts);
            if (v === undefined) report.missing.push(`${path}@${ts}`);
            else if (Math.abs(v - value) > 1e-9 * Math.max(1, Math.abs(value)))
              report.wrong.push(`${path}@${ts}: sent ${value}, stored ${v}`);
          }
        }
        return report.missing.length === 0 && report.lines > 0 ? report : undefined;
      },
      timeoutMs,
      1000,
    ).catch(() => {});
    return report;
  }

  test('collectd (write_graphite): its series are found node by node and rendered under the paths it sent', async () => {
    const from = Math.floor(Date.now() / 1000);
    await waitFor('collectd sending through the relay', async () => relay.paths().length >= 10 || undefined, 30_000, 200);
    await sleep(4000);
    const until = Math.floor(Date.now() / 1000) - 2;
    const report = await everyLineStored(from, until);
    const paths = relay.paths();
    process.stdout.write(
      `  measured: ${paths.length} collectd paths, ${report.lines} lines in the window; missing ${report.missing.length}, wrong ${report.wrong.length}\n`,
    );
    assert.deepEqual(report.missing, []);
    assert.deepEqual(report.wrong, []);
    // Three-node paths come back exactly as sent.
    const memoryUsed = `${collectdHost}.memory.memory-used`;
    assert.ok(paths.includes(memoryUsed), paths.join(' '));
    const exact = await render(memoryUsed, from - 1, until + 1);
    assert.deepEqual([...exact.keys()], [memoryUsed]);
    const rendered = [...(exact.get(memoryUsed) as Map<number, number>)].filter(([ts]) => ts >= from && ts <= until);
    assert.deepEqual(rendered, [...relay.series(memoryUsed, from, until)]);
    const cpu = paths.find((p) => /\.cpu-\d+\.cpu-user$/.test(p)) as string;
    assert.ok((await render(cpu, from - 1, until + 1)).get(cpu)?.size, cpu);
    assert.ok((await find(`${collectdHost}.*`)).includes('memory'));
    assert.ok((await find(`${collectdHost}.memory.*`)).includes('memory-used'));
    // Four-node paths (a plugin of two nodes) come back exactly too, walked node by node.
    const shortterm = `${collectdHost}.load.load.shortterm`;
    assert.ok(paths.includes(shortterm));
    assert.ok((await find(`${collectdHost}.*`)).includes('load'));
    assert.deepEqual(await find(`${collectdHost}.load.*`), ['load']);
    assert.deepEqual(await find(`${collectdHost}.load.load.*`), ['longterm', 'midterm', 'shortterm']);
    assert.deepEqual([...(await render(shortterm, from - 1, until + 1)).keys()], [shortterm]);
    const rx = `${collectdHost}.interface-eth0.if_octets.rx`;
    const lo = paths.find((p) => /\.interface-[^.]+\.if_octets\.rx$/.test(p)) as string;
    assert.ok(lo, `an interface-*.if_octets.rx path among ${paths.join(' ')}`);
    assert.ok((await find(lo.slice(0, lo.lastIndexOf('.')) + '.*')).includes('rx'));
    assert.deepEqual([...(await render(lo, from - 1, until + 1)).keys()], [lo], rx);
  });

  test('carbon paths of 4 and 5 nodes sent by a plain TCP client come back exactly', async () => {
    const now = Math.floor(Date.now() / 1000);
    const host = `deep${collectdHost}`;
    const lines = { [`${host}.app.http.requests.count`]: 7, [`${host}.app.http.errors`]: 3, [`${host}.app.queue`]: 1 };
    const socket = connect(carbonPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.end(
      Object.entries(lines)
        .map(([path, value]) => `${path} ${value} ${now}\n`)
        .join(''),
    );
    for (const [path, value] of Object.entries(lines)) {
      await waitFor(
        `${path} stored`,
        async () => ((await render(path, now - 5, now + 5)).get(path)?.get(now) === value ? true : undefined),
        30_000,
        500,
      );
    }
    assert.deepEqual(await find(`${host}.app.*`), ['http', 'queue']);
    assert.deepEqual(await find(`${host}.app.http.*`), ['errors', 'requests']);
    assert.deepEqual(await find(`${host}.app.http.requests.*`), ['count']);
  });

  test('hostile lines next to collectd: refused and counted by reason, collectd unaffected, the poller self-metrics say so', async () => {
    const before = relay.lines.length;
    const socket = connect(carbonPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const now = Math.floor(Date.now() / 1000);
    socket.write(
      `garbage\n../../etc.passwd.x 1\na.b.c nan\nok${collectdHost}.p.v 5 ${now}\n${'x'.repeat(10_000)}\nbad.bad.bad 1 ${now * 1000}\n`,
    );
    socket.end(`ok${collectdHost}.p.w 6 ${now}\n`);
    await waitFor(
      'the good hostile-corpus lines stored',
      async () => {
        const got = await render(`ok${collectdHost}.p.*`, now - 5, now + 5);
        return got.get(`ok${collectdHost}.p.v`)?.get(now) === 5 && got.get(`ok${collectdHost}.p.w`)?.get(now) === 6 ? true : undefined;
      },
      30_000,
      500,
    );
    await waitFor(
      'the refusals in the poller self-metrics',
      async () => {
        const got = await render(`${pollerHost}.numeter_carbon.bad_*`, now - 30, now + 30);
        return [...got.keys()].some((k) => k.endsWith('bad_malformed')) ? true : undefined;
      },
      30_000,
      500,
    );
    await waitFor('collectd to keep sending', async () => relay.lines.length > before || undefined, 15_000, 200);
  });

  test('broker unreachable while collectd sends: every line accepted during the outage is stored', async () => {
    const from = Math.floor(Date.now() / 1000);
    proxy.cut();
    const cutAt = Math.floor(Date.now() / 1000);
    await sleep(6000);
    proxy.restore();
    const restoredAt = Math.floor(Date.now() / 1000);
    await sleep(3000);
    const until = Math.floor(Date.now() / 1000) - 2;
    const report = await everyLineStored(from, until);
    const during = relay.lines.filter((l) => l.timestamp >= cutAt && l.timestamp < restoredAt).length;
    process.stdout.write(
      `  measured: outage ${restoredAt - cutAt} s, ${during} lines sent during it; ${report.lines} lines checked, missing ${report.missing.length}\n`,
    );
    assert.ok(during >= 50, `collectd kept sending during the outage (${during} lines)`);
    assert.deepEqual(report.missing, []);
    assert.deepEqual(report.wrong, []);
  });

  test('poller killed with SIGKILL while holding a backlog and restarted: every line it had spooled is stored', async () => {
    const poller = t.stack.pollers.get('carbon');
    assert.ok(poller);
    const from = Math.floor(Date.now() / 1000);
    proxy.cut();
    await sleep(7000);
    await poller.child.kill9();
    const killedAt = Date.now();
    proxy.restore();
    poller.child.start();
    await sleep(5000);
    // Accepted = in the spool: the module flushes every second, so a line handed over 3 s before the kill was spooled.
    const spooledBefore = Math.floor((killedAt - 3000) / 1000);
    const report = await everyLineStored(from, spooledBefore);
    const after = Math.floor(Date.now() / 1000) - 2;
    await waitFor(
      'collectd reconnected to the restarted poller',
      async () => relay.lines.some((l) => l.at > killedAt + 2000) || undefined,
      30_000,
      500,
    );
    process.stdout.write(`  measured: ${report.lines} lines spooled before the SIGKILL, missing after restart ${report.missing.length}\n`);
    assert.ok(report.lines >= 50);
    assert.deepEqual(report.missing, []);
    assert.deepEqual(report.wrong, []);
    assert.ok(after > spooledBefore);
  });

  test('hot-shots (StatsD): counters, timers, gauges and sets rendered as host.plugin.ds and host.plugin.ds_<stat>', async () => {
    const client = new StatsD({ host: '127.0.0.1', port: statsdPort, prefix: `${appHost}.`, datadog: false, errorHandler: () => {} });
    const from = Math.floor(Date.now() / 1000) - 1;
    const sent = (fn: (cb: (error?: Error) => void) => void) =>
      new Promise<void>((resolve, reject) => fn((e) => (e ? reject(e) : resolve())));
    for (let i = 0; i < 20; i++) await sent((cb) => client.increment('checkout.orders', 1, cb));
    for (const ms of [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]) await sent((cb) => client.timing('checkout.latency', ms, cb));
    await sent((cb) => client.gauge('checkout.queue', 42, cb));
    await sent((cb) => client.unique('checkout.buyers', 'ann', cb));
    await new Promise<void>((resolve) => client.close(() => resolve()));
    const sum = (points: Map<number, number> | undefined) => [...(points ?? new Map()).values()].reduce((a, b) => a + b, 0);
    let got = new Map<string, Map<number, number>>();
    await waitFor(
      'the StatsD aggregates stored',
      async () => {
        got = await render(`${appHost}.checkout.*`, from, Math.floor(Date.now() / 1000) + 1);
        return sum(got.get(`${appHost}.checkout.orders_count`)) === 20 && sum(got.get(`${appHost}.checkout.latency_count`)) === 10
          ? true
          : undefined;
      },
      30_000,
      500,
    ).catch(() => {});
    assert.equal(sum(got.get(`${appHost}.checkout.orders_count`)), 20, [...got.keys()].join(' '));
    assert.equal(sum(got.get(`${appHost}.checkout.latency_count`)), 10);
    assert.equal(Math.max(...(got.get(`${appHost}.checkout.latency_upper`) ?? new Map()).values()), 95);
    assert.ok([...(got.get(`${appHost}.checkout.queue`) ?? new Map()).values()].includes(42));
    assert.ok([...(got.get(`${appHost}.checkout.buyers`) ?? new Map()).values()].includes(1));
    assert.ok(got.has(`${appHost}.checkout.orders`), 'the counter itself: per second');
    assert.ok((await find(`${appHost}.checkout.*`)).includes('latency_upper_90'));
  });
});
