/**
 * Shared fixtures of the API tests: a real Redis (own key prefix), real .wsp files in a
 * temp dir written with common/whisper, and the API started on port 0. Nothing here
 * uses the storage's consumer: the index is written directly, the way the storage does.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { PngRenderPool } from '../../../common/charts/index.js';
import type { Clock } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import { tempDir } from '../../../common/testing/temp-dir.js';
import * as whisper from '../../../common/whisper/index.js';
import { type ApiServer, type ApiSettings, createApiServer, type HealthProbes, WhisperFiles } from '../src/api/index.js';
import { hostDirectory, seriesFile } from '../src/files/layout.js';
import { IndexReader } from '../src/index/index-reader.js';
import { type RedisKeys, redisKeys } from '../src/index/keys.js';

/** The original Numeter retentions: 1 min for 1 day, 5 min for 7 days, 10 min for 32 days, 1 h for 366 days. */
export const ORIGINAL_ARCHIVES = [
  { secondsPerPoint: 60, points: 1440 },
  { secondsPerPoint: 300, points: 2016 },
  { secondsPerPoint: 600, points: 4608 },
  { secondsPerPoint: 3600, points: 8784 },
];

/** Pinned "now" of every test (a multiple of 3600 plus 30 s, so windows are not trivially aligned). */
export const NOW = 1_700_000_030;

export interface Fixture {
  base: string;
  prefix: string;
  redis: Redis;
  keys: RedisKeys;
  root: string;
  registry: Registry;
  api: ApiServer;
  /** Every path the API asked whisper to read (header or data), in order. */
  opened: string[];
  /** Every path whose data (not only the header) the API read, in order. */
  fetched: string[];
  addHost(hostId: string, info?: Record<string, unknown>): Promise<string>;
  addPlugin(hostId: string, plugin: string, dataSources: Record<string, string>, extra?: Record<string, unknown>): Promise<void>;
  /** Creates the .wsp file of a series and writes [timestamp, value] points. */
  writeSeries(hostId: string, plugin: string, ds: string, points: Array<[number, number]>, archives?: typeof ORIGINAL_ARCHIVES): string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export interface FixtureOptions {
  settings?: Partial<ApiSettings>;
  redisPort?: number;
  health?: Partial<HealthProbes>;
  /** The API's time; a ManualClock at NOW unless given. */
  clock?: Clock;
  /** The PNG pool of /render?format=png (default: the server's own). */
  png?: PngRenderPool;
}

export async function startFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const prefix = `test:api:${randomBytes(4).toString('hex')}:`;
  const keys = redisKeys(prefix);
  const temp = await tempDir('api');
  const root = temp.dir;
  const admin = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await admin.connect();
  const redis = new Redis({
    host: '127.0.0.1',
    port: options.redisPort ?? 6379,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: options.redisPort === undefined,
    retryStrategy: () => 200,
  });
  redis.on('error', () => {});
  if (options.redisPort === undefined) await redis.connect();
  else redis.connect().catch(() => {});
  // A complete index (as after the storage's first start): nothing is looked up in the files for the host list.
  await admin.set(keys.indexMarker, '{}');
  const registry = new Registry();
  const settings: ApiSettings = {
    listen: '127.0.0.1',
    port: 0,
    prefix: '/numeter-storage',
    authTokens: [],
    basicUsers: {},
    clients: [],
    rateLimitPerMinute: 0,
    trustProxy: false,
    maxPoints: 200_000,
    maxReadPoints: 2_000_000,
    maxReadPointsInFlight: 8_000_000,
    maxFindResults: 10_000,
    ...options.settings,
  };
  const health: HealthProbes = {
    broker: async () => ({ ok: true }),
    disk: async () => {
      const stats = statfsSync(root);
      return { ok: stats.bavail > 0, detail: `${stats.bavail * stats.bsize} bytes free` };
    },
    ...options.health,
  };
  const opened: string[] = [];
  const fetched: string[] = [];
  const files = new WhisperFiles();
  const api = createApiServer({
    config: { wspPath: root, wspPathMd5Char: 2, api: settings },
    index: new IndexReader(redis, keys),
    // The real reader, recording what it is asked to open.
    whisper: {
      header: (path) => {
        opened.push(path);
        return files.header(path);
      },
      fetch: (path, from, until, opts) => {
        opened.push(path);
        fetched.push(path);
        return files.fetch(path, from, until, opts);
      },
      fetchValues: (path, from, until, opts) => {
        opened.push(path);
        fetched.push(path);
        return files.fetchValues(path, from, until, opts);
      },
    },
    png: options.png,
    clock: options.clock ?? new ManualClock(NOW * 1000),
    logger: silentLogger(),
    metrics: registry,
    health,
  });
  const { port } = await api.start();
  const base = `http://127.0.0.1:${port}${settings.prefix}`;

  const fixture: Fixture = {
    base,
    prefix,
    redis: admin,
    keys,
    root,
    registry,
    api,
    opened,
    fetched,
    async addHost(hostId, info = {}) {
      const dir = hostDirectory(root, hostId, 2);
      const myInfo = { Plugin: 'MyInfo', ID: hostId, Name: hostId, Description: '', ...info };
      await admin.hset(keys.hosts, hostId, JSON.stringify(myInfo));
      await admin.hset(keys.wspPath, hostId, dir);
      return dir;
    },
    async addPlugin(hostId, plugin, dataSources, extra = {}) {
      const infos: Record<string, Record<string, string>> = {};
      for (const [ds, label] of Object.entries(dataSources)) infos[ds] = { id: ds, label, type: 'GAUGE' };
      const info = { Plugin: plugin, Title: `${plugin} title`, Describ: '', Vlabel: '', Base: '1000', Order: '', Infos: infos, ...extra };
      await admin.hset(keys.infos(hostId), plugin, JSON.stringify(info));
    },
    writeSeries(hostId, plugin, ds, points, archives = ORIGINAL_ARCHIVES) {
      const file = seriesFile(hostDirectory(root, hostId, 2), plugin, ds);
      mkdirSync(dirname(file), { recursive: true });
      whisper.create(file, archives);
      if (points.length) whisper.updateMany(file, points, { now: NOW });
      return file;
    },
    get(path, headers = {}) {
      return fetch(`${base}${path}`, { headers });
    },
    async close() {
      await api.stop(1000);
      await files.close();
      await deleteRedisPrefix(prefix, admin);
      admin.disconnect();
      redis.disconnect();
      await temp.remove();
    },
  };
  return fixture;
}

/** One point per `step`-aligned slot over the last `span` seconds up to NOW's slot, value = f(t). */
export function series(step: number, span: number, f: (t: number) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const last = NOW - (NOW % step);
  for (let t = last - span + step; t <= last; t += step) out.push([t, f(t)]);
  return out;
}
