import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { silentLogger } from '../../../common/logging/index.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { uniqueName } from '../../../common/testing/names.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { Catalog } from '../src/api/catalog.js';
import { GraphiteTree } from '../src/api/graphite-tree.js';
import { HostFiles } from '../src/files/host-files.js';
import { IndexReader } from '../src/index/index-reader.js';
import { type RedisKeys, redisKeys } from '../src/index/keys.js';
import { tempDir } from './ingest-fixtures.js';

/**
 * Issue 16: `/metrics/find *.p0.*` did about 3 Redis round trips per host, one host after
 * the other. The tree now reads each level in pipelined batches: the round trips stay a
 * handful whatever the number of hosts. Counted on the client: each direct command is one
 * round trip, each pipeline or transaction exec is one.
 */
function countingClient(redis: Redis): { client: Redis; roundTrips: () => number } {
  let count = 0;
  const client = new Proxy(redis, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'pipeline' || property === 'multi') {
        return (...args: unknown[]) => {
          const batch = value.apply(target, args);
          const exec = batch.exec.bind(batch);
          batch.exec = (...execArgs: unknown[]) => {
            count++;
            return exec(...execArgs);
          };
          return batch;
        };
      }
      return (...args: unknown[]) => {
        count++;
        return value.apply(target, args);
      };
    },
  });
  return { client, roundTrips: () => count };
}

async function buildIndex(redis: Redis, keys: RedisKeys, hosts: number): Promise<void> {
  const pipeline = redis.pipeline();
  for (let i = 0; i < hosts; i++) {
    const host = `host-${i}.example`;
    pipeline.hset(keys.hosts, host, JSON.stringify({ Plugin: 'MyInfo', ID: host, Name: host, Description: '' }));
    for (const plugin of ['p0', 'p1']) {
      const info = { Plugin: plugin, Title: plugin, Infos: { x: { id: 'x', label: 'x' } } };
      pipeline.hset(keys.infos(host), plugin, JSON.stringify(info));
      pipeline.hset(keys.dataSources(host), plugin, '["x","y"]');
    }
  }
  pipeline.set(keys.indexMarker, '{}');
  await pipeline.exec();
}

describe('Graphite find over many hosts: batched Redis reads', () => {
  let redis: Redis;
  let dir: TempDir;
  const prefixes: string[] = [];

  before(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
    dir = await tempDir('tree-scale');
  });
  after(async () => {
    for (const prefix of prefixes) await deleteRedisPrefix(prefix, redis);
    await redis.quit();
    await dir.remove();
  });

  async function catalogOver(hosts: number): Promise<{ catalog: Catalog; roundTrips: () => number }> {
    const prefix = `${uniqueName('tree')}:`;
    prefixes.push(prefix);
    const keys = redisKeys(prefix);
    await buildIndex(redis, keys, hosts);
    const counting = countingClient(redis);
    const files = new HostFiles(dir.dir, 2, new ManualClock(1_700_000_000_000));
    return {
      catalog: new Catalog(new IndexReader(counting.client, keys), files, dir.dir, silentLogger()),
      roundTrips: counting.roundTrips,
    };
  }

  async function findWith(hosts: number, query: string): Promise<{ paths: string[]; roundTrips: number }> {
    const prefix = `${uniqueName('tree')}:`;
    prefixes.push(prefix);
    const keys = redisKeys(prefix);
    await buildIndex(redis, keys, hosts);
    const counting = countingClient(redis);
    const catalog = new Catalog(
      new IndexReader(counting.client, keys),
      new HostFiles(dir.dir, 2, new ManualClock(1_700_000_000_000)),
      dir.dir,
      silentLogger(),
    );
    const tree = new GraphiteTree(catalog, 100_000);
    const nodes = await tree.find(query, 'query');
    return { paths: nodes.map((n) => n.path), roundTrips: counting.roundTrips() };
  }

  it('answers *.p0.* over 1,000 hosts correctly in a few round trips, as few as over 10 hosts', async () => {
    const large = await findWith(1000, '*.p0.*');
    assert.equal(large.paths.length, 2000);
    assert.ok(large.paths.includes('host-999example.p0.x') && large.paths.includes('host-0example.p0.y'));
    const small = await findWith(10, '*.p0.*');
    assert.equal(small.paths.length, 20);
    assert.ok(large.roundTrips <= 6, `${large.roundTrips} round trips for 1,000 hosts`);
    assert.ok(large.roundTrips - small.roundTrips <= 2, `${small.roundTrips} for 10 hosts, ${large.roundTrips} for 1,000`);
    const leaves = await findWith(1000, 'host-4*.p1.x');
    assert.equal(leaves.paths.length, 111);
    assert.ok(leaves.roundTrips <= 4, `${leaves.roundTrips} round trips`);
  });

  it("/search's plugins of 1,200 hosts in one round trip per 500 hosts, the same as host by host", async () => {
    const { catalog, roundTrips } = await catalogOver(1200);
    const hosts = Array.from({ length: 1200 }, (_, i) => `host-${i}.example`);
    const batched = await catalog.pluginsOfHosts(hosts);
    assert.equal(roundTrips(), 3);
    for (const host of ['host-0.example', 'host-777.example', 'host-1199.example']) {
      assert.deepEqual(batched.get(host), await catalog.plugins(host));
    }
    assert.deepEqual(Object.keys(batched.get('host-5.example') ?? {}), ['p0', 'p1']);
  });
});
