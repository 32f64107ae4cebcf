/**
 * The many-host world of issue 16, shared by the suite's scale test (1,000 hosts) and
 * `npm run bench scale` (1,000 then 10,000): a real storage as a child process (its own Redis
 * prefix, broker vhost and state dir), every host's and plugin's info published through the
 * real bus, and the Whisper files written directly (one template file's bytes copied, since
 * creating each with the library costs a header encode and an fsync-free write anyway).
 *
 * Each host has `plugins` plugins p0..p9 of `sources` data sources d0..d3. Every file is one
 * short archive (hourly, one day) except `p0/d0`, the rendered source: a day of minute points.
 * The world grows: `addHosts(n)` adds hosts after those already there, so the bench builds the
 * 10,000-host world on top of the 1,000-host one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { EXCHANGE, EXCHANGE_TYPE, routingKeyForHost, storageQueueName } from '../../../common/bus/index.js';
import type { MessageInput } from '../../../common/schemas/index.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import * as whisper from '../../../common/whisper/index.js';
import { ServiceChild } from '../../../deploy/local/stack/child.js';
import { writeStorageConfig } from '../../../deploy/local/stack/configs.js';
import type { StackOptions, StorageSpec } from '../../../deploy/local/stack/options.js';
import { parentWatch } from '../../../deploy/local/stack/options.js';
import { freePort, GiveUpError, waitFor, waitForHttp } from '../../../deploy/local/stack/probes.js';
import { seriesFile } from '../../storage/src/files/layout.js';
import { redisKeys } from '../../storage/src/index/keys.js';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const PLUGINS = 10;
export const SOURCES = 4;
/** The rendered source: a day of minute points; every other file is one day of hourly slots. */
export const RENDERED = { plugin: 'p0', ds: 'd0' };
const RENDERED_ARCHIVES = [{ secondsPerPoint: 60, points: 1440 }];
const SMALL_ARCHIVES = [{ secondsPerPoint: 3600, points: 24 }];
/** Messages published between two waits for the broker's confirms. */
const PUBLISH_BATCH = 2000;

export const hostIdOf = (i: number) => `host${String(i).padStart(5, '0')}`;
export const hostNameOf = (i: number) => `web${String(i).padStart(5, '0')}`;

/**
 * /dev/shm (tmpfs) when it has room, else the temp dir. Creating 400,000 small files on this
 * machine's ext4 takes minutes (about 0.5 ms each under load) against seconds in tmpfs; the
 * storage reads the just-written files from the page cache either way.
 */
export function worldParentDir(bytesNeeded: number): string {
  try {
    const shm = statfsSync('/dev/shm');
    if (shm.bavail * shm.bsize > 2 * bytesNeeded) return '/dev/shm';
  } catch {
    // no tmpfs there
  }
  return tmpdir();
}

/** Bytes the files of `hosts` hosts take (a 4 KiB block at least per file, as in tmpfs or ext4). */
export function worldBytes(hosts: number): number {
  return hosts * (PLUGINS * SOURCES * 4096 + 20_480);
}

export interface ScaleWorldOptions {
  /** Extra storage INI keys, e.g. `{ api: { max_read_points: '20000000' } }`; none = the storage's defaults. */
  storageExtra?: Record<string, Record<string, string>>;
  /** Where the state (configs, logs, .wsp files) goes; default `worldParentDir()`. */
  parentDir?: string;
  /** Modules preloaded into the storage (after tsx and the parent watch), e.g. the bench's loop probe. */
  preload?: string[];
  env?: NodeJS.ProcessEnv;
  /** A bearer token the storage takes (from `storageExtra`), sent with the world's own requests. */
  token?: string;
}

export interface BuildTimes {
  publishMs: number;
  ingestMs: number;
  filesMs: number;
}

export interface ScaleWorld {
  /** http://127.0.0.1:<port>/numeter-storage */
  apiUrl: string;
  apiPort: number;
  hosts: number;
  stateDir: string;
  /** Adds hosts `hosts .. hosts + n - 1`: infos through the bus (waited for), then their files. */
  addHosts(n: number): Promise<BuildTimes>;
  close(): Promise<void>;
}

function pluginInfo(hostId: string, p: number, timestamp: number): MessageInput {
  const fields: Record<string, { label: string; type: 'GAUGE' }> = {};
  for (let d = 0; d < SOURCES; d++) fields[`d${d}`] = { label: `source ${d} of plugin ${p}`, type: 'GAUGE' };
  return { v: 1, kind: 'info', hostId, plugin: `p${p}`, timestamp, title: `Plugin ${p}`, category: `cat${p % 3}`, fields };
}

function hostInfo(i: number, timestamp: number): MessageInput {
  return { v: 1, kind: 'host', hostId: hostIdOf(i), timestamp, name: hostNameOf(i), description: `scale host ${i}` };
}

/** The bytes of a file made by the library once: every series of a kind gets the same ones. */
function templates(now: number): { rendered: Buffer; small: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'numeter-scale-template-'));
  try {
    const rendered = join(dir, 'rendered.wsp');
    whisper.create(rendered, RENDERED_ARCHIVES);
    const points: Array<[number, number]> = [];
    for (let k = 1439; k >= 0; k--) points.push([now - k * 60, 50 + 40 * Math.sin(k / 60)]);
    whisper.updateMany(rendered, points, { now });
    const small = join(dir, 'small.wsp');
    whisper.create(small, SMALL_ARCHIVES);
    return { rendered: readFileSync(rendered), small: readFileSync(small) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function publishInfos(url: string, from: number, to: number): Promise<number> {
  const connection = await amqp.connect(url);
  try {
    // What is published before the storage bound its queue would be dropped by the exchange.
    await waitFor(
      'the storage consuming its queue',
      async () => {
        const probe = await connection.createChannel();
        probe.on('error', () => {});
        const queue = await probe.checkQueue(storageQueueName('scale')).catch(() => null);
        await probe.close().catch(() => {});
        return queue !== null && queue.consumerCount > 0 ? true : undefined;
      },
      60_000,
      100,
    );
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(EXCHANGE, EXCHANGE_TYPE, { durable: true });
    const timestamp = Math.floor(Date.now() / 1000);
    let sent = 0;
    const send = async (hostId: string, message: MessageInput) => {
      const ok = channel.publish(EXCHANGE, routingKeyForHost(hostId), Buffer.from(JSON.stringify(message)), {
        contentType: 'application/json',
      });
      if (!ok) await new Promise((drained) => channel.once('drain', drained));
      if (++sent % PUBLISH_BATCH === 0) await channel.waitForConfirms();
    };
    for (let i = from; i < to; i++) {
      await send(hostIdOf(i), hostInfo(i, timestamp));
      for (let p = 0; p < PLUGINS; p++) await send(hostIdOf(i), pluginInfo(hostIdOf(i), p, timestamp));
    }
    await channel.waitForConfirms();
    return sent;
  } finally {
    await connection.close();
  }
}

/** The ingested messages the storage counts (every kind and outcome). */
async function messagesIngested(apiUrl: string, token: string | undefined): Promise<number> {
  const response = await fetch(`${apiUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new GiveUpError(`the storage's /metrics answered HTTP ${response.status}`);
  const text = await response.text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith('numeter_storage_messages_total')) total += Number(line.split(' ').pop());
  return total;
}

async function writeFiles(dirs: Map<string, string>, from: number, to: number, bytes: { rendered: Buffer; small: Buffer }): Promise<void> {
  for (let i = from; i < to; i++) {
    // Synchronous writes are the fastest here; yielding between hosts keeps this process's sockets served.
    if (i % 50 === 0) await new Promise((next) => setImmediate(next));
    const hostId = hostIdOf(i);
    const dir = dirs.get(hostId);
    if (!dir) throw new Error(`the storage did not locate host ${hostId} (no wsp path in its index)`);
    for (let p = 0; p < PLUGINS; p++) {
      const plugin = `p${p}`;
      mkdirSync(dirname(seriesFile(dir, plugin, 'd0')), { recursive: true });
      for (let d = 0; d < SOURCES; d++) {
        const rendered = plugin === RENDERED.plugin && `d${d}` === RENDERED.ds;
        writeFileSync(seriesFile(dir, plugin, `d${d}`), rendered ? bytes.rendered : bytes.small);
      }
    }
  }
}

export async function startScaleWorld(options: ScaleWorldOptions = {}): Promise<ScaleWorld> {
  const vhost: Vhost = await createVhost('numeter-scale');
  const stateDir = mkdtempSync(join(options.parentDir ?? worldParentDir(worldBytes(10_000)), 'numeter-scale-'));
  const prefix = `test:scale:${randomBytes(4).toString('hex')}:`;
  const apiPort = await freePort();
  const spec: StorageSpec = {
    name: 'scale',
    apiPort,
    extra: { global: { log_level: 'warning' }, ...options.storageExtra },
  };
  const stack = { root: ROOT, stateDir, amqpUrl: vhost.url, redis: { host: '127.0.0.1', port: 6379, db: 0, prefix }, storages: [spec] };
  const configFile = writeStorageConfig(stack as unknown as StackOptions, spec);
  const child = new ServiceChild({
    name: 'storage scale',
    script: join(ROOT, 'services/storage/src/main.ts'),
    args: ['--config', configFile],
    logFile: join(stateDir, 'storage.log'),
    preload: [join(ROOT, 'node_modules/tsx/dist/loader.mjs'), parentWatch(ROOT), ...(options.preload ?? [])],
    env: options.env,
  });
  const apiUrl = `http://127.0.0.1:${apiPort}/numeter-storage`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  const bytes = templates(Math.floor(Date.now() / 1000));
  let hosts = 0;
  let expectedMessages = 0;
  const close = async () => {
    try {
      await child.stop(10_000);
    } finally {
      redis.disconnect();
      await deleteRedisPrefix(prefix).catch(() => 0);
      await vhost.delete().catch(() => {});
      rmSync(stateDir, { recursive: true, force: true });
    }
  };
  try {
    await redis.connect();
    child.start();
    await waitForHttp(`${apiUrl}/health`, 120_000, () => child.running);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    apiUrl,
    apiPort,
    stateDir,
    get hosts() {
      return hosts;
    },
    async addHosts(n) {
      const t0 = performance.now();
      expectedMessages += await publishInfos(vhost.url, hosts, hosts + n);
      const t1 = performance.now();
      await waitFor(
        `the storage ingesting ${expectedMessages} info messages`,
        async () => ((await messagesIngested(apiUrl, options.token)) >= expectedMessages ? true : undefined),
        // ~500 messages a second on this loaded 2-CPU machine: 110,000 for 10,000 hosts.
        Math.max(60_000, n * 100),
        200,
      );
      const t2 = performance.now();
      const dirs = new Map(Object.entries(await redis.hgetall(redisKeys(prefix).wspPath)));
      await writeFiles(dirs, hosts, hosts + n, bytes);
      hosts += n;
      return { publishMs: t1 - t0, ingestMs: t2 - t1, filesMs: performance.now() - t2 };
    },
    close,
  };
}
