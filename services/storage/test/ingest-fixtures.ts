/**
 * Fixtures of the ingestion tests: a RabbitMQ vhost of their own (created with
 * rabbitmqctl, deleted afterwards), a Redis key prefix of their own, temp directories,
 * a storage config pointing at them, and python3-whisper (the reference) to read files.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { BusPublisher, DEAD_QUEUE, DEAD_REASON_HEADER } from '../../../common/bus/index.js';
import type { DataMessage } from '../../../common/schemas/index.js';
import { type StorageConfig, StorageConfigSchema } from '../src/config.js';

const run = promisify(execFile);

export function uniqueName(kind: string): string {
  return `test-${kind}-${randomBytes(4).toString('hex')}`;
}

export interface Vhost {
  name: string;
  url: string;
  delete(): Promise<void>;
}

/** A fresh vhost on the local broker with full permissions for guest. */
export async function createVhost(kind: string): Promise<Vhost> {
  const name = uniqueName(kind);
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    delete: async () => {
      await run('rabbitmqctl', ['-q', 'delete_vhost', name]).catch(() => {});
    },
  };
}

export function tempDir(kind: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `numeter-${kind}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Deletes every key under `prefix` (never anything else). */
export async function deletePrefix(prefix: string): Promise<number> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await redis.connect();
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
  return deleted;
}

/** A full config for a test storage (api off unless asked), every key as the INI would give it. */
export function testConfig(opts: {
  storageName: string;
  amqpUrl: string;
  wspPath: string;
  prefix: string;
  hostListFile?: string;
  extra?: Record<string, Record<string, string>>;
}): StorageConfig {
  const raw: Record<string, Record<string, string>> = {
    global: {
      storage_name: opts.storageName,
      wsp_path: opts.wspPath,
      redis_key_prefix: opts.prefix,
      host_list_file: opts.hostListFile ?? join(opts.wspPath, 'no-host-list'),
      log_level: 'error',
    },
    amqp: { url: opts.amqpUrl, prefetch: '200' },
    cache: { flush_interval_ms: '20' },
    api: { enabled: 'false' },
  };
  for (const [section, values] of Object.entries(opts.extra ?? {})) raw[section] = { ...raw[section], ...values };
  return StorageConfigSchema.parse(raw);
}

export async function startPublisher(url: string): Promise<BusPublisher> {
  const publisher = new BusPublisher({ url });
  await publisher.start();
  await publisher.whenConnected();
  return publisher;
}

export function dataMessage(hostId: string, plugin: string, timestamp: number, values: Record<string, number | null>): DataMessage {
  return { v: 1, kind: 'data', hostId, points: [{ plugin, timestamp, values }] };
}

export interface DeadLetter {
  reason: string;
  routingKey: string;
  body: string;
}

/** Takes every message out of numeter.dead of a vhost. */
export async function drainDeadLetters(url: string): Promise<DeadLetter[]> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const out: DeadLetter[] = [];
  for (;;) {
    const message = await channel.get(DEAD_QUEUE, { noAck: true });
    if (!message) break;
    out.push({
      reason: String(message.properties.headers?.[DEAD_REASON_HEADER] ?? ''),
      routingKey: message.fields.routingKey,
      body: message.content.toString('utf8'),
    });
  }
  await connection.close();
  return out;
}

/**
 * Reads a file with the reference implementation: the finest archive's points between
 * `from` and `until` as [timestamp, value] pairs (null slots left out).
 */
export function pythonFetch(file: string, from: number, until: number): Array<[number, number]> {
  const script = [
    'import json, sys, whisper',
    '(start, end, step), values = whisper.fetch(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))',
    'print(json.dumps([[start + i * step, v] for i, v in enumerate(values) if v is not None]))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file, String(from), String(until)], { encoding: 'utf8' }));
}

/** whisper.info() of the reference, for archive checks. */
export function pythonInfo(file: string): {
  aggregationMethod: string;
  xFilesFactor: number;
  archives: Array<{ secondsPerPoint: number; points: number }>;
} {
  const script = ['import json, sys, whisper', 'print(json.dumps(whisper.info(sys.argv[1])))'].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' }));
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Epoch seconds aligned to the minute, a few minutes back, so points land in the finest archive. */
export function recentMinute(minutesBack = 5): number {
  const now = Math.floor(Date.now() / 1000);
  return now - (now % 60) - minutesBack * 60;
}

/** pythonFetch for many files in one interpreter: file → [timestamp, value] pairs. */
export function pythonFetchMany(files: string[], from: number, until: number): Record<string, Array<[number, number]>> {
  const script = [
    'import json, sys, whisper',
    'spec = json.load(sys.stdin)',
    'out = {}',
    'for f in spec["files"]:',
    '    (start, end, step), values = whisper.fetch(f, spec["from"], spec["until"])',
    '    out[f] = [[start + i * step, v] for i, v in enumerate(values) if v is not None]',
    'print(json.dumps(out))',
  ].join('\n');
  const input = JSON.stringify({ files, from, until });
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}
