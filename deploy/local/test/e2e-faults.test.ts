/**
 * End to end under faults, on a stack started through startStack() as `npm start` does:
 * a broker outage (a TCP proxy of the test's own between poller and RabbitMQ is cut: the
 * shared broker is never stopped), the storage killed with SIGKILL in the middle of an
 * ingestion burst, the poller killed with SIGKILL while it holds a backlog.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { EXCHANGE } from '../../../common/bus/index.js';
import { type RunningMuninNode, startMuninNode } from '../../../common/testing/munin-node.js';
import { pythonDamagedFiles, pythonFetchMany } from '../../../common/testing/python-whisper.js';
import { TcpProxy } from '../../../common/testing/tcp-proxy.js';
import { DEFAULT_FORWARD_WINDOW } from '../../../services/poller/src/forward/forwarder.js';
import { freePort, waitFor } from '../stack/probes.js';
import { CLOCK_PLUGIN, e2eName, metric, Observer, sleep, startTestStack, type TestStack, wspFiles } from './fixtures.js';
import { compareSeries, describe as describeReport, seriesPath } from './series-check.js';

const POLL = 1;

/** Largest gap between consecutive published timestamps in [from, until]. */
function largestGap(observer: Observer, hostId: string, from: number, until: number): number {
  const ts = [...observer.series(hostId, 'e2e_clock', 'seconds').keys()]
    .map(Math.floor)
    .filter((t) => t >= from && t <= until)
    .sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < ts.length; i++) gap = Math.max(gap, ts[i] - ts[i - 1]);
  return gap;
}

describe('end to end under faults', () => {
  let munin: RunningMuninNode;
  let observer: Observer;
  let proxy: TcpProxy;
  let t: TestStack;
  let storageName: string;
  const hostId = e2eName('faulty');

  before(async () => {
    munin = await startMuninNode({ port: await freePort(), extraPlugins: { e2e_clock: CLOCK_PLUGIN }, hostName: 'e2e.local' });
    proxy = new TcpProxy(5672);
    await proxy.start();
    t = await startTestStack({
      pollers: [
        { name: 'faulty', hostId, modules: 'munin', muninPort: munin.port, pollerTime: POLL, extra: { global: { spool_fsync: 'always' } } },
      ],
      beforeStart: async (vhost, options) => {
        observer = new Observer(vhost.url);
        await observer.start();
        const url = new URL(vhost.url);
        url.port = String(proxy.port);
        options.pollers[0].amqpUrl = url.toString();
      },
    });
    storageName = [...t.stack.storages.keys()][0];
  });

  after(async () => {
    await observer?.stop();
    await t?.cleanup();
    await proxy?.stop();
    await munin?.stop();
  });

  /**
   * Waits until the window's points were published (at least 70 % of one per poll: the
   * spool delivers a backlog after the outage) and every one of them is in the file.
   */
  async function settled(from: number, until: number, timeoutMs = 45_000) {
    const minimum = Math.floor(((until - from) / POLL) * 0.7);
    const wsp = t.wspDir(storageName);
    let report = compareSeries(observer, wsp, hostId, 'e2e_clock', 'seconds', from, until);
    await waitFor(
      'every published point stored',
      async () => {
        report = compareSeries(observer, wsp, hostId, 'e2e_clock', 'seconds', from, until);
        return report.missing.length === 0 && report.expected >= minimum ? report : undefined;
      },
      timeoutMs,
      500,
    ).catch(() => {});
    return report;
  }

  test('broker unreachable for several poll intervals: every point collected during the outage is stored, none ingested twice', async () => {
    const storage = t.stack.storages.get(storageName)!;
    const from = Math.floor(Date.now() / 1000);
    proxy.cut();
    const cutAt = Math.floor(Date.now() / 1000);
    await sleep(8 * POLL * 1000);
    const restoredAt = Math.floor(Date.now() / 1000);
    proxy.restore();
    await sleep(3000);
    const until = Math.floor(Date.now() / 1000) - 2;
    const report = await settled(from, until);
    // Since its start (this is the first test: the storage has not restarted) the storage has
    // ingested every point published in the vhost, once: its counter meets the observer's count.
    const publishedValues = () => observer.points.filter((p) => p.value !== null).length;
    const counts = async () => ({
      ingested: await metric(`${storage.apiUrl}/metrics`, 'numeter_storage_points_ingested_total'),
      published: publishedValues(),
    });
    let last = await counts();
    await waitFor(
      'the storage counter to meet the published points',
      async () => {
        last = await counts();
        return last.ingested === last.published ? true : undefined;
      },
      15_000,
      200,
    ).catch(() => {});
    const { ingested, published } = last;
    const outagePoints = [...observer.series(hostId, 'e2e_clock', 'seconds').keys()].filter((ts) => ts >= cutAt && ts < restoredAt).length;
    const gap = largestGap(observer, hostId, from, until);
    process.stdout.write(
      `  measured: outage ${restoredAt - cutAt} s; points collected during it ${outagePoints}; ${describeReport(report)}; ` +
        `points published ${published}, ingested by the storage ${ingested}, duplicate deliveries ${observer.duplicates()}; largest gap ${gap} s\n`,
    );
    assert.ok(outagePoints >= 4, 'the poller kept collecting while the broker was unreachable');
    assert.ok(report.expected >= outagePoints, 'the comparison covers the outage');
    assert.ok(gap <= 3 * POLL, `no hole in what was published (largest gap ${gap} s)`);
    assert.deepEqual(report.missing, [], 'every point of the outage is stored');
    assert.deepEqual(report.wrong, []);
    // The cut destroys the sockets both ways: a message the broker took whose confirm never came
    // back is published again (at-least-once). Only those in flight at the cut may come twice,
    // and the storage must still ingest each point once.
    assert.ok(observer.duplicates() <= DEFAULT_FORWARD_WINDOW, `only messages in flight at the cut came twice (${observer.duplicates()})`);
    assert.equal(ingested, published, 'each published point ingested exactly once');
  });

  test('storage killed with SIGKILL in the middle of an ingestion burst and restarted: nothing lost, no file damaged', async () => {
    const storage = t.stack.storages.get(storageName)!;
    const burstHost = e2eName('burst');
    const plugins = 10;
    const dsPerPlugin = 5;
    const seconds = 400;
    const end = Math.floor(Date.now() / 1000) - 5;
    const connection = await amqp.connect(t.vhost.url);
    const channel = await connection.createConfirmChannel();
    for (let s = 0; s < seconds; s++) {
      for (let p = 0; p < plugins; p++) {
        const values: Record<string, number> = {};
        for (let d = 0; d < dsPerPlugin; d++) values[`v${d}`] = s * 1000 + p * 10 + d;
        const body = { v: 1, kind: 'data', hostId: burstHost, points: [{ plugin: `p${p}`, timestamp: end - seconds + s, values }] };
        channel.publish(EXCHANGE, burstHost, Buffer.from(JSON.stringify(body)), {
          contentType: 'application/json',
          persistent: true,
          messageId: `${burstHost}|p${p}|${s}`,
        });
      }
    }
    await channel.waitForConfirms();
    await connection.close();
    const total = seconds * plugins * dsPerPlugin;
    const ingestedAtStart = await metric(`${storage.apiUrl}/metrics`, 'numeter_storage_points_ingested_total');
    const inFlight = await waitFor(
      'ingestion under way',
      async () => {
        const n = (await metric(`${storage.apiUrl}/metrics`, 'numeter_storage_points_ingested_total')) - ingestedAtStart;
        return n > 0 ? n : undefined;
      },
      20_000,
      20,
    );
    await storage.child.kill9();
    const killedAt = Date.now();
    storage.child.start();
    await waitFor('storage healthy again', async () => (await fetch(`${storage.apiUrl}/health`)).ok, 60_000, 200);
    const files: string[] = [];
    for (let p = 0; p < plugins; p++)
      for (let d = 0; d < dsPerPlugin; d++) files.push(seriesPath(t.wspDir(storageName), burstHost, `p${p}`, `v${d}`));
    let stored = 0;
    let wrong = 0;
    await waitFor(
      'the whole burst stored',
      async () => {
        const existing = files.filter((f) => wspFiles(t.wspDir(storageName)).includes(f));
        if (existing.length < files.length) return undefined;
        const fetched = pythonFetchMany(files, end - seconds - 1, end + 1);
        stored = 0;
        wrong = 0;
        for (const [file, points] of Object.entries(fetched)) {
          const [, p, d] = /p(\d+)\/v(\d+)\.wsp$/.exec(file) ?? [];
          for (const [ts, v] of points) {
            stored++;
            if (v !== (ts - (end - seconds)) * 1000 + Number(p) * 10 + Number(d)) wrong++;
          }
        }
        return stored >= total || undefined;
      },
      90_000,
      1000,
    ).catch(() => {});
    const damaged = pythonDamagedFiles(wspFiles(t.wspDir(storageName)));
    process.stdout.write(
      `  measured: burst ${total} points; ingested before SIGKILL ≥ ${inFlight}; after restart stored ${stored}, wrong ${wrong}, all in ${((Date.now() - killedAt) / 1000).toFixed(1)} s; files checked by whisper.info ${wspFiles(t.wspDir(storageName)).length}, damaged ${damaged.length}\n`,
    );
    assert.equal(stored, total, 'every point of the burst is stored');
    assert.equal(wrong, 0);
    assert.deepEqual(damaged, []);
  });

  test('poller killed with SIGKILL while holding a backlog and restarted: nothing it spooled is lost', async () => {
    const poller = t.stack.pollers.get('faulty')!;
    const from = Math.floor(Date.now() / 1000);
    proxy.cut();
    const cutAt = Math.floor(Date.now() / 1000);
    await sleep(5 * POLL * 1000);
    await poller.child.kill9();
    const killedAt = Math.floor(Date.now() / 1000);
    proxy.restore();
    poller.child.start();
    await sleep(4000);
    const until = Math.floor(Date.now() / 1000) - 2;
    const report = await settled(from, until);
    const backlog = [...observer.series(hostId, 'e2e_clock', 'seconds').keys()].filter((ts) => ts >= cutAt && ts < killedAt).length;
    const gap = largestGap(observer, hostId, from, until);
    process.stdout.write(
      `  measured: backlog spooled while cut off then SIGKILL: ${backlog} points delivered after restart; ${describeReport(report)}; largest gap ${gap} s\n`,
    );
    assert.ok(backlog >= 3, `the points spooled before the kill were delivered after the restart (${backlog})`);
    assert.deepEqual(report.missing, [], 'every delivered point is stored');
    assert.ok(gap <= 3 * POLL + 2, `no hole beyond the restart itself (largest gap ${gap} s)`);
  });
});
