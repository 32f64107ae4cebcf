import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { BusPublisher } from '../../../common/bus/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import type { DataResponse, FindNode, GraphiteSeries } from '../../../common/schemas/index.js';
import { uniqueName } from '../../../common/testing/names.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { filteredHostId } from '../src/files/layout.js';
import { StorageService } from '../src/storage-service.js';
import { dataMessage, eventually, recentMinute, startPublisher, tempDir, testConfig } from './ingest-fixtures.js';

/**
 * Issue 15 item 20: the Redis index is deleted under a running storage. Afterwards every
 * series that has a file must be reachable again through /list, /info, /data, find and
 * render, whether its host resends infos only, resends data, or never comes back (a
 * retired host): the storage notices the loss (marker key), rebuilds from the files while
 * ingesting, and serves plugins known only from their files with a minimal info.
 */
const HOSTS = 6;
const PLUGINS = ['cpu', 'df'];
const SOURCES = ['a', 'b', 'c'];

describe('history stays reachable after the Redis index is lost under a running storage', () => {
  let vhost: Vhost;
  let dir: TempDir;
  let prefix: string;
  let service: StorageService;
  let publisher: BusPublisher;
  let redis: Redis;
  let api: string;
  const t0 = recentMinute(8);
  const hosts = Array.from({ length: HOSTS }, (_, i) => `node-${i}.lost.test`);
  const retired = 'retired.lost.test';

  const json = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${api}${path}`);
    return { status: res.status, body: (await res.json()) as T };
  };
  const infoMessage = (hostId: string, plugin: string, title: string) => ({
    v: 1 as const,
    kind: 'info' as const,
    hostId,
    plugin,
    timestamp: t0,
    title,
    fields: Object.fromEntries(SOURCES.map((ds) => [ds, { label: `${ds} label`, type: 'GAUGE' as const }])),
  });
  const publishData = async (hostId: string, timestamp: number, value: number) => {
    for (const plugin of PLUGINS)
      await publisher.publish(dataMessage(hostId, { plugin, timestamp, values: Object.fromEntries(SOURCES.map((ds) => [ds, value])) }));
  };
  const dsCount = async (hostId: string) => {
    let n = 0;
    for (const plugin of PLUGINS) n += JSON.parse((await redis.hget(`${prefix}DS@${hostId}`, plugin)) ?? '[]').length;
    return n;
  };

  before(async () => {
    vhost = await createVhost('test-lost');
    dir = await tempDir('lost');
    prefix = `${uniqueName('lost')}:`;
    const config = testConfig({
      storageName: uniqueName('lost'),
      amqpUrl: vhost.url,
      wspPath: join(dir.dir, 'wsp'),
      prefix,
      extra: { global: { index_check_seconds: '1' }, whisper: { sparse: 'true' }, api: { enabled: 'true', port: '0' } },
    });
    service = new StorageService({ config, hostIds: [], logger: silentLogger() });
    const { apiPort } = await service.start();
    api = `http://127.0.0.1:${apiPort}/numeter-storage`;
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
    await dir?.remove();
    await vhost?.delete().catch(() => {});
  });

  test('infos, data and a retired host: every series comes back, from the files alone where needed', async () => {
    for (const hostId of [...hosts, retired]) {
      await publisher.publish({ v: 1, kind: 'host', hostId, timestamp: t0, name: `name of ${hostId}`, description: '' });
      for (const plugin of PLUGINS) await publisher.publish(infoMessage(hostId, plugin, `${plugin} before`));
      await publishData(hostId, t0, 1);
    }
    for (const hostId of [...hosts, retired])
      await eventually(async () => (await dsCount(hostId)) === PLUGINS.length * SOURCES.length, 20_000, `DS@ of ${hostId}`);

    // Redis loses everything; the storage keeps running with its memoised host locations.
    assert.ok((await deleteRedisPrefix(prefix, redis)) > 0);
    // Half the hosts resend their infos only, the other half data only; the retired host is gone.
    const infoOnly = hosts.slice(0, HOSTS / 2);
    const dataOnly = hosts.slice(HOSTS / 2);
    for (const hostId of infoOnly) for (const plugin of PLUGINS) await publisher.publish(infoMessage(hostId, plugin, `${plugin} after`));
    for (const hostId of dataOnly) await publishData(hostId, t0 + 60, 2);

    await eventually(async () => (await redis.exists(`${prefix}NUMETER_INDEX`)) === 1, 20_000, 'the index rebuilt (marker back)');
    for (const hostId of infoOnly)
      await eventually(async () => (await redis.hget(`${prefix}INFOS@${hostId}`, 'cpu'))?.includes('cpu after') ?? false, 20_000, 'info');
    for (const hostId of dataOnly)
      await eventually(
        async () => ((await json<DataResponse>(`/data?host=${hostId}&plugin=df&ds=a&from=-1h`)).body.DATAS?.a ?? []).includes(2),
        20_000,
        `second point of ${hostId}`,
      );

    for (const hostId of [...hosts, retired]) {
      const list = await json<Record<string, { Title: string; Infos: Record<string, unknown> }>>(`/list?host=${hostId}`);
      assert.equal(list.status, 200);
      assert.deepEqual(Object.keys(list.body).sort(), PLUGINS, `/list of ${hostId}`);
      for (const plugin of PLUGINS) assert.deepEqual(Object.keys(list.body[plugin].Infos).sort(), SOURCES);
      if (infoOnly.includes(hostId)) assert.equal(list.body.cpu.Title, 'cpu after');
      else assert.equal(list.body.cpu.Title, 'cpu', `${hostId} has a minimal info until its poller sends one`);
      for (const plugin of PLUGINS) {
        const data = await json<DataResponse>(`/data?host=${hostId}&plugin=${plugin}&ds=${SOURCES.join(',')}&from=-1h`);
        assert.equal(data.status, 200, `/data of ${hostId}/${plugin}`);
        for (const ds of SOURCES) assert.ok(data.body.DATAS[ds].includes(1), `history of ${hostId}/${plugin}/${ds}`);
      }
    }

    const top = await json<FindNode[]>('/metrics/find?query=*');
    assert.deepEqual(top.body.map((n) => n.text).sort(), [...hosts, retired].map(filteredHostId).sort());
    const leaves = await json<{ results: string[] }>(`/metrics/expand?query=${filteredHostId(retired)}.*.*`);
    assert.deepEqual(
      leaves.body.results,
      PLUGINS.flatMap((p) => SOURCES.map((ds) => `${filteredHostId(retired)}.${p}.${ds}`)),
    );
    const render = await json<GraphiteSeries[]>(`/render?target=${filteredHostId(retired)}.df.*&from=-1h`);
    assert.equal(render.body.length, SOURCES.length);
    for (const series of render.body)
      assert.ok(
        series.datapoints.some(([value]) => value === 1),
        series.target,
      );
    // Hosts and their locations are back for every host, the retired one included.
    for (const hostId of [...hosts, retired]) assert.ok(await redis.hget(`${prefix}WSP_PATH`, hostId), `WSP_PATH of ${hostId}`);
  });
});
