import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import type { BusPublisher } from '../../../common/bus/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { uniqueName } from '../../../common/testing/names.js';
import { pythonFetch, pythonInfo } from '../../../common/testing/python-whisper.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { HOST_MARKER_FILE } from '../src/files/layout.js';
import { StorageService } from '../src/storage-service.js';
import { dataMessage, drainDeadLetters, eventually, recentMinute, startPublisher, tempDir, testConfig } from './ingest-fixtures.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('storage ingestion, end to end (RabbitMQ → .wsp files + Redis)', () => {
  let vhost: Vhost;
  let legacyVhost: Vhost;
  let outer: TempDir;
  let root: string;
  let prefix: string;
  let service: StorageService;
  let publisher: BusPublisher;
  let apiPort: number;
  /** The test's own client: the service's belongs to its index. */
  let redis: Redis;

  before(async () => {
    [vhost, legacyVhost] = await Promise.all([createVhost('test-storage'), createVhost('test-legacy')]);
    outer = await tempDir('ingest');
    root = join(outer.dir, 'wsp');
    prefix = `${uniqueName('storage')}:`;
    const config = testConfig({
      storageName: uniqueName('st'),
      amqpUrl: vhost.url,
      wspPath: root,
      prefix,
      extra: { legacy: { enabled: 'true', url: legacyVhost.url }, whisper: { sparse: 'true' }, api: { enabled: 'true', port: '0' } },
    });
    // The original declared its exchange non-durable; our legacy consumer must live with that.
    const legacyConnection = await amqp.connect(legacyVhost.url);
    const ch = await legacyConnection.createChannel();
    await ch.assertExchange('numeter', 'topic', { durable: false });
    await legacyConnection.close();
    service = new StorageService({ config, hostIds: [], logger: silentLogger() });
    ({ apiPort } = await service.start());
    await service.waitUntilConsuming();
    publisher = await startPublisher(vhost.url);
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
  });

  after(async () => {
    await publisher?.stop();
    await service?.stop();
    redis?.disconnect();
    await deleteRedisPrefix(prefix);
    await outer?.remove();
    await Promise.all([vhost?.delete().catch(() => {}), legacyVhost?.delete().catch(() => {})]);
  });

  test('points published with confirms reach their files in the original layout, duplicates and disorder included', async () => {
    const host = 'web-1.example.com';
    const t0 = recentMinute(10);
    await publisher.publish({ v: 1, kind: 'host', hostId: host, timestamp: t0, name: 'web 1', description: 'front' });
    await publisher.publish({
      v: 1,
      kind: 'info',
      hostId: host,
      plugin: 'load',
      timestamp: t0,
      title: 'Load average',
      fields: { load: { label: 'load', type: 'GAUGE', draw: 'LINE2' } },
    });
    // Out of order, with a duplicate (redelivery) and an update of the same slot: last write wins.
    const order = [3, 0, 2, 1, 3, 0];
    for (const i of order)
      await publisher.publish(dataMessage(host, { plugin: 'load', timestamp: t0 + i * 60, values: { load: i + 0.5 } }));
    const file = join(root, md5(host).slice(0, 2), 'web-1examplecom', 'load', 'load.wsp');
    await eventually(() => existsSync(file) && pythonFetch(file, t0 - 60, t0 + 240).length === 4, 20_000, 'four points in load.wsp');
    assert.deepEqual(pythonFetch(file, t0 - 60, t0 + 240), [
      [t0, 0.5],
      [t0 + 60, 1.5],
      [t0 + 120, 2.5],
      [t0 + 180, 3.5],
    ]);
    const info = pythonInfo(file);
    assert.deepEqual(
      info.archives.map((a) => [a.secondsPerPoint, a.points]),
      [
        [60, 1440],
        [300, 2016],
        [600, 4608],
        [3600, 8784],
      ],
    );
    assert.equal(info.aggregationMethod, 'average');
    assert.equal(info.xFilesFactor, 0.5);

    const keys = service.index.keys;
    const hostEntry = JSON.parse((await redis.hget(keys.hosts, host)) ?? '{}');
    assert.deepEqual(hostEntry, {
      Plugin: 'MyInfo',
      ID: host,
      Name: 'web 1',
      Description: 'front',
      AgentVersion: '',
      hostIDHash: md5(host).slice(0, 2),
      HostIDFiltredName: 'web-1examplecom',
    });
    assert.equal(await redis.hget(keys.wspPath, host), join(root, md5(host).slice(0, 2), 'web-1examplecom'));
    assert.equal(await redis.hget(keys.hostIdHash, host), md5(host).slice(0, 2));
    assert.equal(JSON.parse((await redis.hget(keys.infos(host), 'load')) ?? '{}').Title, 'Load average');
    await eventually(async () => (await redis.hget(keys.dataSources(host), 'load')) === '["load"]', 15_000, 'DS@ index');
    assert.ok(Number(await redis.hget(keys.lastSeenPlugins(host), 'load')) > 0);
    const marker = JSON.parse(readFileSync(join(root, md5(host).slice(0, 2), 'web-1examplecom', HOST_MARKER_FILE), 'utf8'));
    assert.equal(marker.hostId, host);

    // The REST API the service wires reads what was written.
    const api = `http://127.0.0.1:${apiPort}/numeter-storage`;
    const hosts = (await (await fetch(`${api}/hosts`)).json()) as Record<string, { Name: string }>;
    assert.equal(hosts[host].Name, 'web 1');
    const data = (await (await fetch(`${api}/data?host=${host}&plugin=load&ds=load&res=Daily`)).json()) as {
      DATAS: { load: (number | null)[] };
    };
    assert.ok(data.DATAS.load.includes(3.5), 'the API serves the stored point');
  });

  test('data that arrives before its host info is kept and registers the host', async () => {
    const host = 'no-info-yet';
    const t0 = recentMinute(3);
    await publisher.publish({
      v: 1,
      kind: 'data',
      hostId: host,
      points: [{ plugin: 'cpu', timestamp: t0, values: { user: 12, idle: 80, steal: null } }],
    });
    const dir = join(root, md5(host).slice(0, 2), 'no-info-yet', 'cpu');
    await eventually(() => existsSync(join(dir, 'user.wsp')) && existsSync(join(dir, 'idle.wsp')), 15_000, 'cpu files');
    assert.equal(existsSync(join(dir, 'steal.wsp')), false, 'an unknown (null) value creates no file');
    assert.deepEqual(pythonFetch(join(dir, 'idle.wsp'), t0 - 60, t0 + 60), [[t0, 80]]);
    await eventually(async () => (await redis.hget(service.index.keys.hosts, host)) !== null, 15_000, 'HOSTS entry');
    const entry = JSON.parse((await redis.hget(service.index.keys.hosts, host)) as string);
    assert.equal(entry.ID, host);
    assert.equal(entry.Name, host);
  });

  test('the original oslo.messaging envelope is consumed from the legacy (non-durable) exchange', async () => {
    const host = '1349792119-d753e11726b68a08dbb5847f0d4b8f8e';
    const t0 = recentMinute(4);
    const envelope = (type: 'data' | 'info', plugin: string, payload: unknown) =>
      Buffer.from(
        JSON.stringify({
          'oslo.version': '2.0',
          'oslo.message': JSON.stringify({
            method: 'poller_msg',
            args: { args: { message: JSON.stringify(payload) } },
            _unique_id: md5(`${type}${plugin}${Math.random()}`),
            _context_topic: host,
            _context_plugin: plugin,
            _context_type: type,
            _context_hostid: host,
          }),
        }),
      );
    const connection = await amqp.connect(legacyVhost.url);
    const channel = await connection.createConfirmChannel();
    const send = (body: Buffer) =>
      new Promise<void>((resolve, reject) => channel.publish('numeter', host, body, {}, (err) => (err ? reject(err) : resolve())));
    await send(envelope('info', 'MyInfo', { Plugin: 'MyInfo', Name: 'legacy box', ID: host, Description: 'old poller' }));
    await send(
      envelope('info', 'if_eth0', {
        Plugin: 'if_eth0',
        Title: 'eth0 traffic',
        Describ: '',
        Vlabel: 'bits in (-) / out (+) per ${graph_period}',
        Base: '1000',
        Order: 'down up',
        Infos: {
          down: { id: 'down', label: 'received', type: 'DERIVE', graph: 'no' },
          up: { id: 'up', label: 'bps', type: 'DERIVE', negative: 'down' },
        },
      }),
    );
    await send(envelope('data', 'if_eth0', { TimeStamp: String(t0), Plugin: 'if_eth0', Values: { down: '1234.5', up: 'U' } }));
    await connection.close();
    const dir = join(root, md5(host).slice(0, 2), host, 'if_eth0');
    await eventually(() => existsSync(join(dir, 'down.wsp')), 15_000, 'legacy file');
    assert.deepEqual(pythonFetch(join(dir, 'down.wsp'), t0 - 60, t0 + 60), [[t0, 1234.5]]);
    assert.equal(existsSync(join(dir, 'up.wsp')), false, '"U" is unknown: nothing written');
    const hostEntry = JSON.parse((await redis.hget(service.index.keys.hosts, host)) ?? '{}');
    assert.equal(hostEntry.Name, 'legacy box');
    const info = JSON.parse((await redis.hget(service.index.keys.infos(host), 'if_eth0')) ?? '{}');
    assert.equal(info.Infos.down.graph, 'no');
    assert.equal(info.Infos.up.negative, 'down');
  });

  test('bad input is dead-lettered with a reason and nothing is written outside wsp_path', async () => {
    const t0 = recentMinute(2);
    const ok = (hostId: string, plugin: string, values: Record<string, unknown>, timestamp: unknown = t0) =>
      JSON.stringify({ v: 1, kind: 'data', hostId, points: [{ plugin, timestamp, values }] });
    let deep = '1';
    for (let i = 0; i < 5000; i++) deep = `[${deep}]`;
    const corpus: Array<[string, string, RegExp]> = [
      ['..', ok('..', 'cpu', { a: 1 }), /made only of dots/],
      ['evil', ok('evil', '../../../etc', { a: 1 }), /"\/"/],
      ['evil', ok('evil', 'cpu', { '../../x': 1 }), /"\/"/],
      ['evil', ok('evil', 'cpu\u0000x', { a: 1 }), /control character/],
      ['evil', ok('evil', 'cpu\nx', { a: 1 }), /control character/],
      ['evil', ok('evil', '.hidden', { a: 1 }), /starts with a dot/],
      ['evil', ok('evil', 'cpu', { a: 'NaN' }), /expected number/i],
      ['evil', ok('evil', 'cpu', { a: 'Infinity' }), /expected number/i],
      ['evil', ok('evil', 'cpu', { a: true }), /expected number/i],
      ['evil', ok('evil', 'cpu', { a: 1 }, t0 * 1000), /milliseconds/],
      ['evil', ok('evil', 'cpu', { a: 1 }, 4_000_000_000), /in the future/],
      ['evil', ok('evil', 'cpu', { a: 1 }, String(t0)), /number of seconds/],
      ['evil', ok('evil', 'cpu', { a: 1 }, 1_000_000_000), /old/],
      ['evil', `{"v":1,"kind":"data","hostId":"evil","points":${deep}}`, /nested/],
      ['evil', `{"v":1,"kind":"data","hostId":"evil","pad":"${'x'.repeat(1_100_000)}"}`, /exceeds/],
      ['evil', 'not json at all', /invalid JSON/],
      ['evil', JSON.stringify({ v: 1, kind: 'data', hostId: 'evil', points: [], __proto__: { polluted: true } }), /invalid|points/],
      ['someone-else', ok('evil', 'cpu', { a: 1 }), /routing key/],
      [
        'evil',
        JSON.stringify({
          'oslo.version': '2.0',
          'oslo.message':
            '{"method":"poller_msg","_context_type":"data","_context_hostid":"evil","args":{"args":{"message":"{\\"TimeStamp\\":\\"1\\"}"}}}',
        }),
        /legacy-invalid/,
      ],
    ];
    for (const [routingKey, body] of corpus) await publisher.publishRaw(routingKey, Buffer.from(body));
    const dead: Awaited<ReturnType<typeof drainDeadLetters>> = [];
    await eventually(
      async () => {
        dead.push(...(await drainDeadLetters(vhost.url)));
        return dead.length >= corpus.length;
      },
      10_000,
      `${corpus.length} dead letters`,
    );
    assert.equal(dead.length, corpus.length);
    for (const [, body, expected] of corpus) {
      // A body over the 1 MiB limit keeps only its head in the dead queue.
      const letter = dead.find((d) => d.body === body || (body.length > 1024 * 1024 && d.body.length > 0 && body.startsWith(d.body)));
      assert.ok(letter, `dead letter for ${body.slice(0, 60)}`);
      assert.match(letter.reason, expected, `reason for ${body.slice(0, 60)}`);
    }
    assert.deepEqual(readdirSync(outer.dir), ['wsp'], 'nothing next to wsp_path');
    for (const file of walk(root)) assert.ok(!file.includes('..') && !file.includes('etc'), file);
    assert.equal(service.stats().consumer_connected, 1, 'the consumer is still running');
    const metrics = await service.metrics.registry.getSingleMetricAsString('numeter_storage_dead_letters_total');
    for (const kind of ['invalid', 'unsafe-name', 'host-mismatch', 'future', 'too-old', 'legacy-invalid'])
      assert.match(metrics, new RegExp(`reason="${kind}"`));
  });

  test('a flushed index is rebuilt from the files (exact host IDs) and ingestion goes on', async () => {
    const host = 'rebuild.me';
    const t0 = recentMinute(6);
    await publisher.publish(dataMessage(host, { plugin: 'df', timestamp: t0, values: { root: 42, var: 7 } }));
    const dir = join(root, md5(host).slice(0, 2), 'rebuildme');
    await eventually(() => existsSync(join(dir, 'df', 'var.wsp')), 15_000, 'df files');
    await eventually(async () => (await redis.hget(service.index.keys.dataSources(host), 'df')) !== null, 15_000, 'DS@');
    const keys = service.index.keys;
    const before = await redis.hgetall(keys.wspPath);
    await deleteRedisPrefix(prefix);
    assert.equal(await redis.exists(keys.hosts, keys.wspPath, keys.indexMarker), 0);
    const result = await service.rebuildIndex();
    assert.ok(result.hosts >= 4, `hosts rebuilt: ${result.hosts}`);
    assert.equal(result.hostsWithoutMarker, 0);
    assert.deepEqual(await redis.hgetall(keys.wspPath), before);
    assert.equal(await redis.hget(keys.dataSources(host), 'df'), '["root","var"]');
    assert.equal(JSON.parse((await redis.hget(keys.hosts, host)) ?? '{}').ID, host);
    await publisher.publish(dataMessage(host, { plugin: 'df', timestamp: t0 + 60, values: { root: 43, var: 8 } }));
    await eventually(() => pythonFetch(join(dir, 'df', 'root.wsp'), t0 - 60, t0 + 120).length === 2, 15_000, 'second point');
    assert.deepEqual(pythonFetch(join(dir, 'df', 'root.wsp'), t0 - 60, t0 + 120), [
      [t0, 42],
      [t0 + 60, 43],
    ]);
  });

  test('two storages with different names and host lists shard the hosts', async () => {
    const shards = await Promise.all(
      ['a', 'b'].map(async (n) => ({ name: uniqueName(`shard-${n}`), temp: await tempDir(`shard-${n}`), host: uniqueName(`host-${n}`) })),
    );
    const services = shards.map((s) => {
      const hostListFile = join(s.temp.dir, 'host-list');
      writeFileSync(hostListFile, `# hosts of ${s.name}\n${s.host}\n`);
      const config = testConfig({
        storageName: s.name,
        amqpUrl: vhost.url,
        wspPath: join(s.temp.dir, 'wsp'),
        prefix: `${uniqueName('shard')}:`,
      });
      return new StorageService({ config, hostIds: [s.host], logger: silentLogger() });
    });
    try {
      await Promise.all(services.map((s) => s.start()));
      await Promise.all(services.map((s) => s.waitUntilConsuming()));
      const t0 = recentMinute(1);
      for (const s of shards) await publisher.publish(dataMessage(s.host, { plugin: 'load', timestamp: t0, values: { load: 1 } }));
      for (const [i, s] of shards.entries()) {
        const own = join(s.temp.dir, 'wsp', md5(s.host).slice(0, 2), s.host, 'load', 'load.wsp');
        await eventually(() => existsSync(own), 15_000, `file of ${s.host}`);
        const other = shards[1 - i];
        assert.equal(existsSync(join(s.temp.dir, 'wsp', md5(other.host).slice(0, 2))), false, `${s.name} has nothing of ${other.host}`);
      }
      // The main storage (empty host list = every host) got a copy of both.
      for (const s of shards)
        await eventually(() => existsSync(join(root, md5(s.host).slice(0, 2), s.host, 'load', 'load.wsp')), 15_000, 'copy');
    } finally {
      await Promise.all(services.map((s) => s.stop()));
      for (const s of services) await deleteRedisPrefix(s.index.keys.hosts.slice(0, -'HOSTS'.length));
      for (const s of shards) await s.temp.remove();
    }
  });

  test('start/stop cycles leave no timers, sockets or files behind', async () => {
    const cycleDir = await tempDir('cycles');
    const config = testConfig({
      storageName: uniqueName('cycle'),
      amqpUrl: vhost.url,
      wspPath: join(cycleDir.dir, 'wsp'),
      prefix: `${uniqueName('cycle')}:`,
    });
    // Timers, sockets, pipes and file handles must not grow (connections of the earlier
    // tests may still be closing, so fewer is fine).
    const resources = () => {
      const counts = new Map<string, number>();
      for (const r of process.getActiveResourcesInfo()) if (r !== 'TTYWrap') counts.set(r, (counts.get(r) ?? 0) + 1);
      return counts;
    };
    const before = resources();
    try {
      for (let i = 0; i < 3; i++) {
        const cycle = new StorageService({ config, hostIds: [], logger: silentLogger() });
        await cycle.start();
        await cycle.waitUntilConsuming();
        await cycle.stop();
        await cycle.stop(); // idempotent
      }
      await new Promise((r) => setTimeout(r, 50));
      for (const [kind, count] of resources())
        assert.ok(count <= (before.get(kind) ?? 0), `${kind}: ${count} now, ${before.get(kind) ?? 0} before`);
    } finally {
      await deleteRedisPrefix(config.global.redis_key_prefix);
      await cycleDir.remove();
    }
  });
});
