/**
 * Fixtures of the end-to-end tests: a test stack started through the same startStack()
 * as `npm start`, with free ports, a RabbitMQ vhost, a Redis key prefix, a MariaDB
 * database and a state dir of its own (all removed afterwards); an observer queue that
 * sees every message published (the oracle of "expected"). The real-peer helpers they
 * use (vhosts, Redis prefixes, the TCP proxy, python3-whisper) are in common/testing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { EXCHANGE, EXCHANGE_TYPE } from '../../../common/bus/index.js';
import { uniqueName } from '../../../common/testing/names.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import { dropDatabase } from '../stack/database.js';
import type { PollerSpec, StackOptions, StorageSpec } from '../stack/options.js';
import { freePort } from '../stack/probes.js';
import { type Stack, startStack } from '../stack/stack.js';

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** `e2e-<kind>-<8 hex>`: the end-to-end tests' own names. */
export function e2eName(kind: string): string {
  return uniqueName(kind, 'e2e');
}

export interface ObservedPoint {
  hostId: string;
  plugin: string;
  ds: string;
  timestamp: number;
  value: number | null;
}

/**
 * A queue of the test's own bound to the exchange with '#': the broker copies every
 * message the pollers publish into it, so it knows what was sent (and how often).
 */
export class Observer {
  private connection: amqp.ChannelModel | undefined;
  readonly points: ObservedPoint[] = [];
  readonly deliveriesById = new Map<string, number>();

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    this.connection = await amqp.connect(this.url);
    const channel = await this.connection.createChannel();
    await channel.assertExchange(EXCHANGE, EXCHANGE_TYPE, { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, EXCHANGE, '#');
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const id = String(message.properties.messageId ?? '');
        this.deliveriesById.set(id, (this.deliveriesById.get(id) ?? 0) + 1);
        try {
          const body = JSON.parse(message.content.toString('utf8'));
          // A message under another host's routing key is refused by the storage (host-mismatch): not expected data.
          const own = message.fields.routingKey === body?.hostId;
          if (own && body?.kind === 'data' && Array.isArray(body.points) && this.deliveriesById.get(id) === 1) {
            for (const p of body.points) {
              for (const [ds, value] of Object.entries(p.values ?? {}))
                this.points.push({ hostId: body.hostId, plugin: p.plugin, ds, timestamp: p.timestamp, value: value as number | null });
            }
          }
        } catch {
          // garbage published on purpose by a test: not a data point
        }
      },
      { noAck: true },
    );
  }

  /** Distinct points of one series, timestamp → value. */
  series(hostId: string, plugin: string, ds: string): Map<number, number | null> {
    const out = new Map<number, number | null>();
    for (const p of this.points) if (p.hostId === hostId && p.plugin === plugin && p.ds === ds) out.set(p.timestamp, p.value);
    return out;
  }

  duplicates(): number {
    let n = 0;
    for (const count of this.deliveriesById.values()) n += count - 1;
    return n;
  }

  async stop(): Promise<void> {
    await this.connection?.close().catch(() => {});
  }
}

export function wspFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.wsp'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every file under `dir`, relative. */
export function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** A GAUGE plugin whose value is the clock: every point is distinct and checkable. */
export const CLOCK_PLUGIN = `#!/bin/sh
if [ "$1" = config ]; then
  echo 'graph_title e2e clock'
  echo 'graph_category e2e'
  echo 'seconds.label seconds'
  echo 'seconds.type GAUGE'
  exit 0
fi
echo "seconds.value $(date +%s)"
`;

export interface TestStack {
  stack: Stack;
  vhost: Vhost;
  prefix: string;
  database: string;
  stateDir: string;
  wspDir(storage: string): string;
  cleanup(): Promise<void>;
}

export interface TestStackOptions {
  storages?: Array<Omit<StorageSpec, 'apiPort' | 'name'> & { name: string }>;
  pollers?: Array<Omit<PollerSpec, 'pollerTime'> & { pollerTime?: number }>;
  /** Called with the vhost before the stack starts (e.g. to point a poller at a proxy). */
  beforeStart?: (vhost: Vhost, options: StackOptions) => Promise<void> | void;
  log?: boolean;
}

/** A stack with test ports and names; `cleanup()` stops it and removes everything it created. */
export async function startTestStack(o: TestStackOptions): Promise<TestStack> {
  const vhost = await createVhost('e2e-vhost');
  const prefix = `${e2eName('redis')}:`;
  const database = e2eName('db').replace(/-/g, '_');
  const stateDir = mkdtempSync(join(tmpdir(), 'numeter-e2e-'));
  const storages: StorageSpec[] = [];
  for (const s of o.storages ?? [{ name: 'main' }])
    storages.push({ ...s, name: `${s.name}-${randomBytes(3).toString('hex')}`, apiPort: await freePort() });
  const options: StackOptions = {
    root: ROOT,
    stateDir,
    amqpUrl: vhost.url,
    redis: { host: '127.0.0.1', port: 6379, db: 0, prefix },
    database: { host: '127.0.0.1', port: 3306, name: database, adminUser: 'root', adminPassword: '' },
    webappPort: await freePort(),
    storages,
    pollers: (o.pollers ?? []).map((p) => ({ pollerTime: 1, ...p })),
    retentions: '1s:2h,1m:1d',
    adminUsername: 'admin',
    progress: o.log ? (line) => process.stderr.write(`  [stack] ${new Date().toISOString().slice(14, 23)} ${line}\n`) : () => {},
    startTimeoutMs: 60_000,
  };
  await o.beforeStart?.(vhost, options);
  const cleanupAll = async (stack?: Stack) => {
    await stack?.stop(10_000);
    await vhost.delete().catch(() => {});
    await deleteRedisPrefix(prefix).catch(() => 0);
    await dropDatabase(options.database).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  };
  let stack: Stack;
  try {
    stack = await startStack(options);
  } catch (error) {
    await cleanupAll();
    throw error;
  }
  return {
    stack,
    vhost,
    prefix,
    database,
    stateDir,
    wspDir: (storage) =>
      join(stateDir, 'storage', storages.find((s) => s.name === storage || s.name.startsWith(`${storage}-`))?.name ?? storage, 'wsps'),
    cleanup: () => cleanupAll(stack),
  };
}

/** `name-xxxxxx` given `name`. */
export function storageNamed(t: TestStack, prefix: string): string {
  const found = [...t.stack.storages.keys()].find((n) => n.startsWith(`${prefix}-`));
  if (!found) throw new Error(`no storage ${prefix}`);
  return found;
}

/** Reads one Prometheus counter (summed over its labels, or one label set). */
export async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(url)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+([-+0-9.eE]+|NaN)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) total += Number(m[3]);
  }
  return total;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
