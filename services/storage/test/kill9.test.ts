import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { storageQueueName } from '../../../common/bus/index.js';
import { uniqueName } from '../../../common/testing/names.js';
import { pythonFetchMany } from '../../../common/testing/python-whisper.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { dataMessage, eventually, recentMinute, startPublisher, tempDir } from './ingest-fixtures.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

let vhost: Vhost;
let dir: TempDir;
let prefix: string;
let child: ChildProcess | undefined;

before(async () => {
  vhost = await createVhost('test-kill9');
  dir = await tempDir('kill9');
  prefix = `${uniqueName('kill9')}:`;
});

after(async () => {
  child?.kill('SIGKILL');
  await deleteRedisPrefix(prefix);
  await dir?.remove();
  await vhost?.delete().catch(() => {});
});

function startStorage(configFile: string): ChildProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.resume();
  return proc;
}

async function consumers(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
  const connection = await amqp.connect(vhost.url);
  const channel = await connection.createChannel();
  channel.on('error', () => {});
  try {
    return await channel.checkQueue(queue);
  } catch {
    return { messageCount: -1, consumerCount: 0 };
  } finally {
    await connection.close().catch(() => {});
  }
}

test('a storage killed with SIGKILL during ingestion loses nothing that was published with a confirm', async () => {
  const storageName = uniqueName('st');
  const queue = storageQueueName(storageName);
  const wsp = join(dir.dir, 'wsp');
  const configFile = join(dir.dir, 'numeter_storage.cfg');
  writeFileSync(
    configFile,
    [
      '[global]',
      `storage_name = ${storageName}`,
      `wsp_path = ${wsp}`,
      `redis_key_prefix = ${prefix}`,
      `host_list_file = ${join(dir.dir, 'host-list')}`,
      'log_level = error',
      '[amqp]',
      `url = ${vhost.url}`,
      'prefetch = 50',
      '[cache]',
      'flush_interval_ms = 30',
      '[whisper]',
      'sparse = true',
      '[api]',
      'enabled = false',
      '',
    ].join('\n'),
  );
  child = startStorage(configFile);
  await eventually(async () => (await consumers(queue)).consumerCount === 1, 20_000, 'storage consuming');

  const publisher = await startPublisher(vhost.url);
  const hosts = Array.from({ length: 10 }, (_, i) => `kill9-host-${i}`);
  const t0 = recentMinute(40);
  const minutes = 30;
  const expected = new Map<string, Array<[number, number]>>();
  let published = 0;
  let killedAt = -1;
  for (let m = 0; m < minutes; m++) {
    const ts = t0 + m * 60;
    await Promise.all(
      hosts.map((host, h) => {
        const values = { a: h * 1000 + m, b: -m - 0.25 };
        for (const [ds, v] of Object.entries(values)) {
          const file = join(wsp, md5(host).slice(0, 2), host, 'net', `${ds}.wsp`);
          if (!expected.has(file)) expected.set(file, []);
          expected.get(file)?.push([ts, v]);
        }
        return publisher.publish(dataMessage(host, { plugin: 'net', timestamp: ts, values })).then(() => {
          published++;
        });
      }),
    );
    if (m === 12) {
      // Some messages are written, some are in flight, more are coming: kill it now.
      child.kill('SIGKILL');
      killedAt = published;
      await new Promise((r) => child?.once('exit', r));
    }
  }
  await publisher.stop();
  assert.equal(published, hosts.length * minutes);
  assert.ok(killedAt > 0);
  const beforeRestart = await consumers(queue);
  assert.ok(beforeRestart.messageCount > 0, 'messages waited in the queue while the storage was dead');
  // Redis lost the index meanwhile: the restart rebuilds it from the files before consuming.
  await deleteRedisPrefix(prefix);

  child = startStorage(configFile);
  await eventually(async () => (await consumers(queue)).messageCount === 0, 30_000, 'queue drained after restart');
  await eventually(
    () => {
      if (![...expected.keys()].every((f) => existsSync(f))) return false;
      const stored = pythonFetchMany([...expected.keys()], t0 - 60, t0 + minutes * 60);
      return [...expected].every(([file, points]) => stored[file].length === points.length);
    },
    20_000,
    'every point in its file',
  );
  const stored = pythonFetchMany([...expected.keys()], t0 - 60, t0 + minutes * 60);
  for (const [file, points] of expected) assert.deepEqual(stored[file], points, file);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await redis.connect();
  try {
    const hostEntries = await redis.hgetall(`${prefix}HOSTS`);
    assert.deepEqual(Object.keys(hostEntries).sort(), [...hosts].sort(), 'index rebuilt with the real host IDs');
    assert.equal(await redis.hget(`${prefix}DS@${hosts[0]}`, 'net'), '["a","b"]');
  } finally {
    await redis.quit();
  }

  const exited = new Promise((r) => child?.once('exit', (code) => r(code)));
  const signalled = Date.now();
  child.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM stops the storage cleanly');
  // main.ts never calls process.exit(): a timer left by a component (the consumer's 15 s
  // stop deadline once did) would keep the process alive well past this.
  assert.ok(Date.now() - signalled < 8000, `exited ${Date.now() - signalled} ms after SIGTERM`);
  child = undefined;
});

test('--print-config prints the effective configuration; a bad one lists every problem and exits 2', async () => {
  const run = (args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d) => (stdout += d));
      proc.stderr.on('data', (d) => (stderr += d));
      proc.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const good = join(dir.dir, 'good.cfg');
  writeFileSync(good, '[global]\nstorage_name = printed\nrpc_password = hunter2 ; secret\n');
  const bad = join(dir.dir, 'bad.cfg');
  writeFileSync(bad, '[global]\nredis_storage_port = nope\n[amqp]\nprefetch = 0\n');
  const [printed, refused] = await Promise.all([
    run(['--config', good, '--print-config'], { NUMETER_STORAGE_GLOBAL_WSP_PATH: '/srv/wsp' }),
    run(['--config', bad], {}),
  ]);
  assert.equal(printed.code, 0, printed.stderr);
  assert.match(printed.stdout, /storage_name = printed/);
  assert.match(printed.stdout, /wsp_path = \/srv\/wsp/);
  assert.match(printed.stdout, /rpc_password = \*{8}/);
  assert.doesNotMatch(printed.stdout, /hunter2/);
  assert.equal(refused.code, 2, 'a bad configuration exits 2, as in every service');
  assert.match(refused.stderr, /redis_storage_port/);
  assert.match(refused.stderr, /prefetch/);
});
