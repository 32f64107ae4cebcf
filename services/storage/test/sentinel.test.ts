/**
 * Redis Sentinel, for real: a sentinel of the test's own (its own loopback port, temp dir)
 * monitors the shared Redis on 6379 under a unique master name. It only monitors it: the
 * shared Redis has no replica, so there is nothing to fail over to, and the sentinel's
 * down-after is longer than the test. The storage's Redis client, built from a config whose
 * redis_storage_host/port point nowhere, must find the master through the sentinel.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { freePort } from '../../../common/testing/free-port.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { loadStorageConfig } from '../src/config.js';
import { createRedisClient, redisOptions } from '../src/index/redis-client.js';

const MASTER_NAME = `numeter-sentinel-test-${randomBytes(4).toString('hex')}`;
const KEY_PREFIX = `${MASTER_NAME}:`;

let temp: TempDir | undefined;
let dir = '';
let sentinel: ChildProcess | undefined;
let sentinelPort = 0;

/** The sentinel's reply to one command, raw RESP (no client library: nothing left running after). */
function sentinelReply(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy(new Error('sentinel did not answer')));
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve(reply);
      }
    });
  });
}

/** Resolves once the sentinel answers the master's address (it reads it from its config at start). */
async function waitForSentinel(port: number, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  let lastError: unknown;
  while (Date.now() < end) {
    try {
      const reply = await sentinelReply(port, ['SENTINEL', 'get-master-addr-by-name', MASTER_NAME]);
      if (reply.startsWith('*2\r\n')) return;
      lastError = new Error(`unexpected reply ${JSON.stringify(reply)}`);
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sentinel on ${port} did not come up`, { cause: lastError });
}

function configWith(file: string, env: NodeJS.ProcessEnv = {}) {
  return loadStorageConfig({ file, fileRequired: true, env });
}

before(async () => {
  temp = await tempDir('sentinel');
  dir = temp.dir;
  sentinelPort = await freePort();
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      'daemonize no',
      `dir ${dir}`,
      'protected-mode no',
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 6379 1`,
      // Longer than the test: this sentinel never judges the shared Redis down.
      `sentinel down-after-milliseconds ${MASTER_NAME} 600000`,
      `sentinel failover-timeout ${MASTER_NAME} 600000`,
      '',
    ].join('\n'),
  );
  sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  sentinel.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  sentinel.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    await waitForSentinel(sentinelPort, 10_000);
  } catch (error) {
    throw new Error(`sentinel failed to start:\n${output}`, { cause: error });
  }
});

after(async () => {
  if (sentinel && sentinel.exitCode === null) {
    const exited = new Promise((r) => sentinel?.once('exit', r));
    sentinel.kill('SIGTERM');
    await exited;
  }
  await temp?.remove();
});

function writeConfig(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, ['[global]', ...lines, ''].join('\n'));
  return file;
}

test('the storage client reaches the master through the sentinel (the direct host/port lead nowhere)', async () => {
  const deadPort = await freePort();
  const file = writeConfig('via-sentinel.cfg', [
    `redis_storage_port = ${deadPort}`,
    'redis_storage_timeout = 1',
    'redis_storage_db = 0',
    `redis_sentinels = 127.0.0.1:${sentinelPort}`,
    `redis_sentinel_name = ${MASTER_NAME}`,
    `redis_key_prefix = ${KEY_PREFIX}`,
  ]);
  const config = configWith(file);
  const client = createRedisClient(config);
  const direct = new Redis({ host: '127.0.0.1', port: 6379, db: 0, lazyConnect: true });
  const key = `${KEY_PREFIX}probe`;
  try {
    await client.connect();
    await client.set(key, 'through-sentinel', 'EX', 60);
    assert.equal(await client.get(key), 'through-sentinel');
    // Cross-check with a plain client on the master the sentinel named.
    await direct.connect();
    assert.equal(await direct.get(key), 'through-sentinel');
    assert.match(await client.info('replication'), /role:master/);
  } finally {
    await direct.del(key).catch(() => 0);
    client.disconnect();
    direct.disconnect();
  }
});

test('an unknown master name is not silently replaced by redis_storage_host', async () => {
  const file = writeConfig('unknown-name.cfg', [
    'redis_storage_timeout = 1',
    `redis_sentinels = 127.0.0.1:${sentinelPort}`,
    `redis_sentinel_name = ${MASTER_NAME}-absent`,
  ]);
  // One attempt only, so the test sees the failure instead of ioredis retrying forever.
  const client = new Redis({ ...redisOptions(configWith(file)), sentinelRetryStrategy: () => null, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await assert.rejects(client.connect(), /No such master with that name/);
  } finally {
    client.disconnect();
  }
});
