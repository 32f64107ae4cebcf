/**
 * End to end, real everything, started through startStack() as `npm start` does: a real
 * munin-node on a private port → poller → RabbitMQ → storage → `.wsp` files (read by
 * python3-whisper) → storage REST → webapp REST. Then Redis emptied (this stack's key
 * prefix only), and a poller publishing garbage and hostile names beside the good one.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { DEAD_QUEUE, DEAD_REASON_HEADER, EXCHANGE } from '../../../common/bus/index.js';
import { type RunningMuninNode, startMuninNode } from '../../../common/testing/munin-node.js';
import { pythonDamagedFiles, pythonFetchMany } from '../../../common/testing/python-whisper.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import { freePort, getJson, waitFor } from '../stack/probes.js';
import { allFiles, CLOCK_PLUGIN, e2eName, metric, Observer, sleep, startTestStack, type TestStack, wspFiles } from './fixtures.js';
import { compareSeries, describe as describeReport, seriesPath } from './series-check.js';
import { signIn } from './webapp-session.js';

describe('end to end: poller → RabbitMQ → storage → files → REST → webapp', () => {
  let munin: RunningMuninNode;
  let observer: Observer;
  let t: TestStack;
  const hostId = e2eName('good');
  let storageName: string;
  let started = 0;

  before(async () => {
    munin = await startMuninNode({ port: await freePort(), extraPlugins: { e2e_clock: CLOCK_PLUGIN }, hostName: 'e2e.local' });
    t = await startTestStack({
      pollers: [{ name: 'good', hostId, hostName: 'e2e good host', modules: 'munin|system', muninPort: munin.port }],
      beforeStart: async (vhost) => {
        observer = new Observer(vhost.url);
        await observer.start();
      },
    });
    storageName = [...t.stack.storages.keys()][0];
    started = Math.floor(Date.now() / 1000);
  });

  after(async () => {
    await observer?.stop();
    await t?.cleanup();
    await munin?.stop();
  });

  test('every published point reaches the .wsp file, the storage REST API and the webapp', async () => {
    await sleep(5000);
    const storage = t.stack.storages.get(storageName)!;
    const until = Math.floor(Date.now() / 1000) - 2; // the last second may still be in flight
    const report = compareSeries(observer, t.wspDir(storageName), hostId, 'e2e_clock', 'seconds', started - 30, until);
    process.stdout.write(`  measured: ${describeReport(report)}\n`);
    assert.ok(report.expected >= 3, `the poller published ${report.expected} points of e2e_clock in 5 s at a 1 s interval`);
    assert.deepEqual(report.missing, [], 'every published point is in the file');
    assert.deepEqual(report.wrong, []);
    assert.deepEqual(pythonDamagedFiles(wspFiles(t.wspDir(storageName))), [], 'whisper.info reads every file');

    const data = await getJson<{ TS_start: number; TS_step: number; DATAS: Record<string, Array<number | null>> }>(
      `${storage.apiUrl}/data?host=${encodeURIComponent(hostId)}&plugin=e2e_clock&ds=seconds&res=Hourly`,
    );
    assert.equal(data.status, 200, JSON.stringify(data.body));
    const restValues = data.body.DATAS.seconds.filter((v) => v !== null);
    process.stdout.write(`  measured: storage REST returned ${restValues.length} non-empty points at step ${data.body.TS_step} s\n`);
    assert.ok(restValues.length >= 1);

    const token = (await t.stack.webappCli(['token', 'add', '-u', 'admin', '-n', 'e2e'])).trim().split('\n').pop() ?? '';
    const auth = { Authorization: `Bearer ${token}` };
    const hosts = await getJson<{ results: Array<{ id: number; hostid: string }> }>(`${t.stack.webappUrl}/rest/hosts?page_size=100`, auth);
    assert.equal(hosts.status, 200, JSON.stringify(hosts.body));
    const host = hosts.body.results.find((h) => h.hostid === hostId);
    assert.ok(host, 'populate imported the poller host into the webapp');
    const extended = await getJson<{ datas: { DATAS: Record<string, Array<number | null>> } }>(
      `${t.stack.webappUrl}/rest/hosts/${host.id}/plugin_extended_data?plugin=e2e_clock&res=Hourly`,
      auth,
    );
    assert.equal(extended.status, 200, JSON.stringify(extended.body));
    const webappValues = extended.body.datas.DATAS.seconds.filter((v) => v !== null);
    process.stdout.write(`  measured: webapp plugin_extended_data returned ${webappValues.length} non-empty points\n`);
    assert.ok(webappValues.length >= 1, 'the webapp shows data of the plugin');
    const multiviews = await getJson<{ count: number; results: Array<{ name: string }> }>(`${t.stack.webappUrl}/rest/multiviews`, auth);
    assert.ok(
      multiviews.body.results.some((m) => m.name.includes(hostId)),
      'populate built the default dashboard of the host',
    );
  });

  test('the graph of the plugin is drawn in Chromium for the admin', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      // Logged in through the JSON login, the session cookie handed to the browser. (The login
      // form itself is refused by the webapp's origin check in Chromium: helmet's
      // Referrer-Policy no-referrer makes Chromium send `Origin: null` on the form post.)
      const cookie = await signIn(t.stack.webappUrl, 'admin', t.stack.secrets.adminPassword);
      const [name, value] = cookie.split('=');
      await page.context().addCookies([{ name, value, url: t.stack.webappUrl }]);
      const token = (await t.stack.webappCli(['token', 'add', '-u', 'admin', '-n', 'e2e-ui'])).trim().split('\n').pop() ?? '';
      const hosts = await getJson<{ results: Array<{ id: number; hostid: string }> }>(`${t.stack.webappUrl}/rest/hosts?page_size=100`, {
        Authorization: `Bearer ${token}`,
      });
      const host = hosts.body.results.find((h) => h.hostid === hostId);
      assert.ok(host);
      await page.goto(`${t.stack.webappUrl}/hosts/${host.id}`);
      const card = page.locator('.graph-card[data-plugin="e2e_clock"]');
      await card.locator('canvas').first().waitFor({ timeout: 30_000 });
      const drawn = await page.locator('.graph-card canvas').count();
      process.stdout.write(`  measured: host page drew ${drawn} graph canvases, e2e_clock among them; page errors: ${errors.length}\n`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  test("Redis emptied (this stack's prefix): the index comes back and the whole history is still served", async () => {
    const storage = t.stack.storages.get(storageName)!;
    const before = await getJson<{ TS_start: number; TS_step: number; DATAS: Record<string, Array<number | null>> }>(
      `${storage.apiUrl}/data?host=${encodeURIComponent(hostId)}&plugin=e2e_clock&ds=seconds&res=Hourly`,
    );
    const earliestBefore = before.body.TS_start + before.body.DATAS.seconds.findIndex((v) => v !== null) * before.body.TS_step;
    const flushedAt = Date.now();
    const deleted = await deleteRedisPrefix(t.prefix);
    assert.ok(deleted > 0);
    const hostsRightAfter = await getJson<Record<string, unknown>>(`${storage.apiUrl}/hosts`);
    const back = await waitFor(
      'the host and its history back in the storage API',
      async () => {
        const r = await getJson<{ TS_start: number; TS_step: number; DATAS: Record<string, Array<number | null>> }>(
          `${storage.apiUrl}/data?host=${encodeURIComponent(hostId)}&plugin=e2e_clock&ds=seconds&res=Hourly`,
        );
        if (r.status !== 200) return undefined;
        const first = r.body.DATAS.seconds.findIndex((v) => v !== null);
        // the oldest point served again: the history before the flush, not only new data
        return first >= 0 && r.body.TS_start + first * r.body.TS_step <= earliestBefore ? r : undefined;
      },
      120_000, // measured 1-58 s: the storage re-records a host's index entries at most once a minute
      250,
    );
    const points = back.body.DATAS.seconds.filter((v) => v !== null).length;
    process.stdout.write(
      `  measured: deleted ${deleted} Redis keys; hosts right after: ${Object.keys(hostsRightAfter.body).length}; index and history back after ${((Date.now() - flushedAt) / 1000).toFixed(1)} s with ${points} non-empty points\n`,
    );
    assert.ok(points >= 1);
  });

  test('garbage and hostile names beside a good poller: good data complete, garbage dead-lettered with reasons, nothing escapes the data directory', async () => {
    const storage = t.stack.storages.get(storageName)!;
    const marker = e2eName('pwned');
    const now = Math.floor(Date.now() / 1000);
    const data = (host: string, plugin: string, values: Record<string, unknown>) =>
      JSON.stringify({ v: 1, kind: 'data', hostId: host, points: [{ plugin, timestamp: now, values }] });
    const garbage: Array<{ key: string; body: string }> = [
      { key: 'bad-host', body: 'not json at all {' },
      { key: 'bad-host', body: JSON.stringify({ v: 99, kind: 'data' }) },
      { key: 'bad-host', body: JSON.stringify({ v: 1, kind: 'nonsense', hostId: 'bad-host' }) },
      { key: `../../${marker}`, body: data(`../../${marker}`, 'cpu', { user: 1 }) },
      { key: 'bad-host', body: data('bad-host', `../${marker}`, { user: 1 }) },
      { key: 'bad-host', body: data('bad-host', 'cpu', { [`../../${marker}`]: 1 }) },
      { key: 'bad-host', body: data('bad-host', `.${marker}`, { user: 1 }) },
      { key: 'bad-host', body: data('bad-host', 'cpu', { user: 'NaN-ish' }) },
      // a poller writing into another host's series (its routing key is its own host ID)
      { key: 'bad-host', body: data(hostId, 'e2e_clock', { seconds: -1 }) },
      {
        key: 'bad-host',
        body: JSON.stringify({
          v: 1,
          kind: 'host',
          hostId: `/etc/${marker}`,
          timestamp: now,
          name: 'x',
          description: '',
          agentVersion: '1',
        }),
      },
    ];
    const deadBefore = await metric(`${storage.apiUrl}/metrics`, 'numeter_storage_dead_letters_total');
    const connection = await amqp.connect(t.vhost.url);
    const channel = await connection.createConfirmChannel();
    for (const [i, g] of garbage.entries())
      channel.publish(EXCHANGE, g.key, Buffer.from(g.body), {
        contentType: 'application/json',
        messageId: `garbage-${i}`,
        persistent: true,
      });
    await channel.waitForConfirms();
    const windowStart = Math.floor(Date.now() / 1000);
    await sleep(4000);
    const dead: Array<{ reason: string; body: string }> = [];
    await waitFor(
      'the garbage in numeter.dead',
      async () => {
        for (;;) {
          const m = await channel.get(DEAD_QUEUE, { noAck: true });
          if (!m) break;
          if (String(m.properties.messageId).startsWith('garbage-'))
            dead.push({ reason: String(m.properties.headers?.[DEAD_REASON_HEADER] ?? ''), body: m.content.toString() });
        }
        return dead.length >= garbage.length || undefined;
      },
      15_000,
      200,
    ).catch(() => {});
    await connection.close();
    const deadAfter = await metric(`${storage.apiUrl}/metrics`, 'numeter_storage_dead_letters_total');
    for (const d of dead) process.stdout.write(`    dead-lettered: ${d.reason.slice(0, 140)}\n`);
    const until = Math.floor(Date.now() / 1000) - 2;
    const report = compareSeries(observer, t.wspDir(storageName), hostId, 'e2e_clock', 'seconds', windowStart - 2, until);
    process.stdout.write(
      `  measured: garbage published ${garbage.length}, dead-lettered ${dead.length} (metric +${deadAfter - deadBefore}); good poller ${describeReport(report)}\n`,
    );
    assert.equal(dead.length, garbage.length, 'every garbage message is dead-lettered');
    assert.ok(
      dead.every((d) => d.reason.length > 0),
      'each with a reason',
    );
    assert.ok(report.expected >= 2);
    assert.deepEqual(report.missing, [], 'the good poller lost nothing');
    assert.deepEqual(report.wrong, [], "nothing overwrote the good poller's points");
    const file = seriesPath(t.wspDir(storageName), hostId, 'e2e_clock', 'seconds');
    assert.ok(!(pythonFetchMany([file], now - 5, until + 5)[file] ?? []).some(([, v]) => v === -1), 'the foreign write is not in the file');
    const escaped = [...allFiles(t.stateDir), ...readdirSync(tmpdir())].filter((f) => f.includes(marker));
    assert.deepEqual(escaped, [], 'no file named after a hostile name anywhere');
    assert.equal(existsSync(join('/etc', marker)), false);
    assert.deepEqual(pythonDamagedFiles(wspFiles(t.wspDir(storageName))), []);
  });
});
