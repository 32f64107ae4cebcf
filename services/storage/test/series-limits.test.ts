/**
 * New series per host and plugin are bounded (one message used to create 5,002 files),
 * counted and reported once per interval; existing series are never limited, also after a
 * restart; files are sparse by default and read back identically by python3-whisper.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { BusPublisher } from '../../../common/bus/index.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { uniqueName } from '../../../common/testing/names.js';
import { pythonFetchMany } from '../../../common/testing/python-whisper.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { create as createWhisper, updateMany as whisperUpdateMany } from '../../../common/whisper/index.js';
import { NewSeriesLimiter, type SeriesLimitReport } from '../src/ingest/series-limits.js';
import { RetentionRules } from '../src/persist/retention-rules.js';
import { StorageService } from '../src/storage-service.js';
import { drainDeadLetters, eventually, recentMinute, startPublisher, tempDir, testConfig } from './ingest-fixtures.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('NewSeriesLimiter', () => {
  test('bounds new series per plugin and per host in a fixed window, reporting once per interval', async () => {
    const clock = new ManualClock(1_000_000);
    const refused: string[] = [];
    const reports: SeriesLimitReport[] = [];
    const limiter = new NewSeriesLimiter({
      limits: { perHost: 5, perPlugin: 3, intervalSeconds: 60 },
      clock,
      onRefused: (limit) => refused.push(limit),
      onReport: (report) => reports.push(report),
    });
    const admitted = (host: string, plugin: string, count: number) =>
      Array.from({ length: count }, (_, i) => limiter.admit(host, plugin, `ds${i}`)).filter(Boolean).length;
    assert.equal(admitted('h', 'a', 4), 3, 'plugin limit');
    assert.equal(admitted('h', 'b', 4), 2, 'host limit: 3 + 2');
    assert.equal(admitted('other', 'a', 3), 3, 'another host has its own counts');
    assert.deepEqual(refused, ['plugin', 'host', 'host']);
    assert.deepEqual(reports, [{ limit: 'plugin', hostId: 'h', plugin: 'a', ds: 'ds3', refusedSinceLastReport: 1 }]);
    await clock.advance(59_000);
    assert.equal(admitted('h', 'c', 1), 0, 'still the same window');
    assert.equal(reports.length, 1, 'reported once per interval');
    await clock.advance(1000);
    assert.equal(admitted('h', 'c', 4), 3, 'a new window starts from zero');
    assert.equal(reports.length, 2);
    assert.deepEqual(reports[1], { limit: 'plugin', hostId: 'h', plugin: 'c', ds: 'ds3', refusedSinceLastReport: 4 });
  });

  test('0 means unlimited', () => {
    const limiter = new NewSeriesLimiter({ limits: { perHost: 0, perPlugin: 0, intervalSeconds: 60 }, clock: new ManualClock(0) });
    for (let i = 0; i < 10_000; i++) assert.ok(limiter.admit('h', 'p', `ds${i}`));
  });
});

describe('new series limits and sparse files in a running storage', () => {
  let vhost: Vhost;
  let dir: TempDir;
  let root: string;
  let prefix: string;
  let storageName: string;
  let publisher: BusPublisher;
  const warnings: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) });
  const host = 'flooder';
  const t0 = recentMinute(10);
  const pluginDir = (plugin: string) => join(root, md5(host).slice(0, 2), host, plugin);
  const files = (plugin: string) => (existsSync(pluginDir(plugin)) ? readdirSync(pluginDir(plugin)).filter((f) => f.endsWith('.wsp')) : []);
  const values = (count: number, value = 1) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`ds${i}`, value + i]));

  const startStorage = async () => {
    const config = testConfig({
      storageName,
      amqpUrl: vhost.url,
      wspPath: root,
      prefix,
      extra: { limits: { max_new_series_per_host: '30', max_new_series_per_plugin: '20', new_series_interval_seconds: '3600' } },
    });
    const service = new StorageService({ config, hostIds: [], logger });
    await service.start();
    await service.waitUntilConsuming();
    return service;
  };

  before(async () => {
    vhost = await createVhost('test-limits');
    dir = await tempDir('limits');
    root = join(dir.dir, 'wsp');
    prefix = `${uniqueName('limits')}:`;
    storageName = uniqueName('st');
    publisher = await startPublisher(vhost.url);
  });

  after(async () => {
    await publisher?.stop();
    await deleteRedisPrefix(prefix);
    await dir?.remove();
    await vhost?.delete().catch(() => {});
  });

  test('a flood of data sources starts only the allowed series; the rest is counted, logged once and dead-lettered when nothing is left', async () => {
    const service = await startStorage();
    try {
      // Points too old for any archive write nothing, so they use none of the limits.
      const old = t0 - 400 * 86_400;
      const oldValues = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`old${i}`, i]));
      await publisher.publish({ v: 1, kind: 'data', hostId: host, points: [{ plugin: 'flood', timestamp: old, values: oldValues }] });
      assert.match((await waitForDeadLetters(1))[0].reason, /^too-old:/);
      // One message, 1,000 data sources in one plugin: 20 files (the plugin limit), not 1,000.
      await publisher.publish({ v: 1, kind: 'data', hostId: host, points: [{ plugin: 'flood', timestamp: t0, values: values(1000) }] });
      await eventually(() => files('flood').length === 20, 15_000, '20 files of flood');
      // Five more plugins of 10: the host limit (30) leaves room for one of them.
      const points = [1, 2, 3, 4, 5].map((n) => ({ plugin: `more${n}`, timestamp: t0, values: values(10) }));
      await publisher.publish({ v: 1, kind: 'data', hostId: host, points });
      await eventually(() => files('more1').length === 10, 15_000, '10 files of more1');
      // Existing series keep taking points; a message with only new series is dead-lettered.
      await publisher.publish({
        v: 1,
        kind: 'data',
        hostId: host,
        points: [{ plugin: 'flood', timestamp: t0 + 60, values: values(20, 100) }],
      });
      await publisher.publish({ v: 1, kind: 'data', hostId: host, points: [{ plugin: 'late', timestamp: t0, values: values(3) }] });
      const dead = await waitForDeadLetters(1);
      assert.match(dead[0].reason, /^series-limit: host "flooder" started too many new series: 3 refused$/);
      await eventually(
        () => pythonFetchMany([join(pluginDir('flood'), 'ds0.wsp')], t0 - 60, t0 + 120)[join(pluginDir('flood'), 'ds0.wsp')].length === 2,
        15_000,
        'second point',
      );

      assert.equal(files('flood').length, 20);
      assert.deepEqual(
        [2, 3, 4, 5].map((n) => files(`more${n}`).length),
        [0, 0, 0, 0],
      );
      assert.equal(existsSync(pluginDir('late')), false);
      const registry = service.metrics.registry;
      const refused = await registry.getSingleMetric('numeter_storage_new_series_refused_total')?.get();
      const byLimit = Object.fromEntries((refused?.values ?? []).map((v) => [v.labels.limit, v.value]));
      assert.deepEqual(byLimit, { plugin: 980, host: 43 });
      const skipped = await registry.getSingleMetric('numeter_storage_points_skipped_total')?.get();
      assert.equal(skipped?.values.find((v) => v.labels.reason === 'series-limit')?.value, 1020);
      const reports = warnings.filter((w) => String(w.msg).startsWith('new series refused'));
      assert.equal(reports.length, 1, 'logged once per interval');
      assert.deepEqual(
        { hostId: reports[0].hostId, plugin: reports[0].plugin, ds: reports[0].ds, limit: reports[0].limit },
        { hostId: host, plugin: 'flood', ds: 'ds20', limit: 'plugin' },
      );
    } finally {
      await service.stop();
    }
  });

  test('after a restart, series with a file are not counted', async () => {
    const service = await startStorage();
    try {
      const points = [
        { plugin: 'flood', timestamp: t0 + 120, values: values(20, 200) },
        { plugin: 'more1', timestamp: t0 + 120, values: values(10, 300) },
        { plugin: 'fresh', timestamp: t0 + 120, values: values(5) },
      ];
      await publisher.publish({ v: 1, kind: 'data', hostId: host, points });
      await eventually(() => files('fresh').length === 5, 15_000, 'five new series next to 30 existing ones');
      const ds19 = join(pluginDir('flood'), 'ds19.wsp');
      await eventually(() => pythonFetchMany([ds19], t0 - 60, t0 + 180)[ds19].length === 3, 15_000, 'existing series written');
    } finally {
      await service.stop();
    }
  });

  test('files are sparse by default and python3-whisper reads them like files full of zeros', () => {
    const file = join(pluginDir('flood'), 'ds0.wsp');
    const stat = statSync(file);
    assert.ok(stat.blocks * 512 < stat.size / 4, `${stat.blocks * 512} bytes allocated for a ${stat.size}-byte file`);
    // The same archives and points written into a file created with zeros.
    const schema = new RetentionRules().schemaFor('flood', 'ds0');
    const dense = join(dir.dir, 'dense.wsp');
    createWhisper(dense, [...schema.archives], { aggregationMethod: schema.aggregationMethod, xFilesFactor: schema.xFilesFactor });
    const written = pythonFetchMany([file], t0 - 60, t0 + 180)[file];
    assert.deepEqual(written, [
      [t0, 1],
      [t0 + 60, 100],
      [t0 + 120, 200],
    ]);
    // One write per point, oldest first, as the storage received them.
    for (const [ts, value] of written) whisperUpdateMany(dense, [[ts, value]], { now: t0 + 180 });
    assert.ok(statSync(dense).blocks * 512 >= statSync(dense).size, 'the dense file is allocated');
    const read = pythonFetchMany([file, dense], t0 - 86_000, t0 + 180);
    assert.deepEqual(read[file], read[dense]);
    assert.ok(readFileSync(file).equals(readFileSync(dense)), 'byte for byte the same');
  });

  async function waitForDeadLetters(count: number) {
    const dead: Awaited<ReturnType<typeof drainDeadLetters>> = [];
    await eventually(
      async () => {
        dead.push(...(await drainDeadLetters(vhost.url)));
        return dead.length >= count;
      },
      15_000,
      `${count} dead letters`,
    );
    return dead;
  }
});
