import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { uniqueName } from '../../../common/testing/names.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { Cleaner } from '../src/cleaning/cleaner.js';
import { findHostDirectory, HostDirectories } from '../src/files/host-directories.js';
import { HostFiles } from '../src/files/host-files.js';
import { HOST_MARKER_FILE, hostHashPrefix } from '../src/files/layout.js';
import { IndexWriter } from '../src/index/index-writer.js';
import { redisKeys } from '../src/index/keys.js';
import { LostIndexWatch } from '../src/index/lost-index-watch.js';
import { rebuildIndex } from '../src/index/rebuild.js';
import { eventually, tempDir } from './ingest-fixtures.js';

let redis: Redis;
let prefix: string;
let dir: TempDir;
let index: IndexWriter;

before(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await redis.connect();
  prefix = `${uniqueName('index')}:`;
  dir = await tempDir('index');
  index = new IndexWriter(redis, redisKeys(prefix));
});

after(async () => {
  await deleteRedisPrefix(prefix);
  await redis.quit();
  await dir.remove();
});

/** Two host IDs that filter to the same name and share the first md5 hex digit. */
function collidingPair(): [string, string] {
  for (let i = 0; ; i++) {
    const a = `web${i}.lan`;
    const b = `web${i}lan`;
    if (hostHashPrefix(a, 1) === hostHashPrefix(b, 1)) return [a, b];
  }
}

test('host IDs whose filtered names collide get their own directories (marker file decides), fixed at first sight', async () => {
  const root = join(dir.dir, 'collide');
  const hosts = new HostDirectories({ wspRoot: root, hashChars: 1, index });
  const [a, b] = collidingPair();
  const first = await hosts.locate(a);
  const second = await hosts.locate(b);
  const hash = hostHashPrefix(a, 1);
  assert.equal(first.dir, join(root, hash, b)); // "web7.lan" filters to "web7lan"
  assert.equal(second.dir, join(root, hash, `${b}_${hostHashPrefix(b, 8)}`));
  assert.equal(JSON.parse(readFileSync(join(first.dir, HOST_MARKER_FILE), 'utf8')).hostId, a);
  assert.equal(JSON.parse(readFileSync(join(second.dir, HOST_MARKER_FILE), 'utf8')).hostId, b);
  // Another process (fresh memo, same Redis) finds the same places, even with another hash length.
  const other = new HostDirectories({ wspRoot: root, hashChars: 3, index });
  assert.deepEqual(await other.locate(b), second);
  assert.equal(await redis.hget(index.keys.hostIdHash, b), hash);
  await assert.rejects(async () => hosts.locate('..'), /made only of dots/);
});

test('a directory WSP_PATH gives to another host is not taken, even without a marker', async () => {
  const root = join(dir.dir, 'owned');
  const [a, b] = collidingPair();
  const hash = hostHashPrefix(a, 1);
  const shared = join(root, hash, b);
  mkdirSync(shared, { recursive: true }); // the original's directory of `a`: no marker
  const ownPrefix = `${uniqueName('owned')}:`;
  const own = new IndexWriter(redis, redisKeys(ownPrefix));
  try {
    await redis.hset(own.keys.wspPath, a, shared);
    await redis.hset(own.keys.hostIdHash, a, hash);
    const hosts = new HostDirectories({ wspRoot: root, hashChars: 1, index: own });
    const located = await hosts.locate(b);
    assert.equal(located.dir, join(root, hash, `${b}_${hostHashPrefix(b, 8)}`));
    assert.equal((await hosts.locate(a)).dir, shared);
  } finally {
    await deleteRedisPrefix(ownPrefix);
  }
});

test('a directory written by the original Numeter (no marker) is taken over, and rebuilt with its filtered name', async () => {
  const root = join(dir.dir, 'original');
  const hash = hostHashPrefix('old.host', 2);
  const legacyDir = join(root, hash, 'oldhost', 'load');
  mkdirSync(legacyDir, { recursive: true });
  writeFileSync(join(legacyDir, 'load.wsp'), '');
  const rebuildPrefix = `${uniqueName('rebuild')}:`;
  const fresh = new IndexWriter(redis, redisKeys(rebuildPrefix));
  try {
    const result = await rebuildIndex({ wspRoot: root, index: fresh, clock: new ManualClock(1_700_000_000_000) });
    assert.deepEqual(result, { hosts: 1, plugins: 1, dataSources: 1, hostsWithoutMarker: 1 });
    const entry = JSON.parse((await redis.hget(fresh.keys.hosts, 'oldhost')) ?? '{}');
    assert.equal(entry.hostIDHash, hash);
    assert.equal(await redis.hget(fresh.keys.dataSources('oldhost'), 'load'), '["load"]');
    assert.deepEqual(JSON.parse(readFileSync(join(root, hash, 'oldhost', HOST_MARKER_FILE), 'utf8')), { hostId: 'oldhost', guessed: true });
    // The real poller ID arrives: it takes the directory over (same hash, same filtered name)
    // and the guessed entry leaves the index, its data sources now under the real ID.
    const hosts = new HostDirectories({ wspRoot: root, hashChars: 2, index: fresh });
    const located = await hosts.locate('old.host');
    assert.equal(located.dir, join(root, hash, 'oldhost'));
    assert.deepEqual(JSON.parse(readFileSync(join(located.dir, HOST_MARKER_FILE), 'utf8')), { hostId: 'old.host' });
    assert.equal(await redis.hget(fresh.keys.hosts, 'oldhost'), null);
    assert.equal(await redis.hget(fresh.keys.wspPath, 'old.host'), located.dir);
    assert.equal(await redis.hget(fresh.keys.dataSources('old.host'), 'load'), '["load"]');
    // Another host filtering to the same name does not get it any more.
    const other = await hosts.locate('old host');
    assert.equal(other.dir, join(root, hostHashPrefix('old host', 2), 'oldhost'));
  } finally {
    await deleteRedisPrefix(rebuildPrefix);
  }
});

test('cleaning marks hosts and plugins unseen for N days, clears marks on return, removes files after the grace period', async () => {
  const root = join(dir.dir, 'clean');
  const now = 1_800_000_000;
  const day = 86_400;
  const hosts = new HostDirectories({ wspRoot: root, hashChars: 2, index });
  const stale = await hosts.locate('stale-host');
  const alive = await hosts.locate('alive-host');
  for (const [h, plugin] of [
    [stale, 'cpu'],
    [alive, 'cpu'],
    [alive, 'old-plugin'],
  ] as const) {
    mkdirSync(join(h.dir, plugin), { recursive: true });
    writeFileSync(join(h.dir, plugin, 'x.wsp'), '');
  }
  await index.recordFlush({
    hosts: new Map([
      [stale.hostId, stale],
      [alive.hostId, alive],
    ]),
    plugins: new Map([
      [stale.hostId, new Set(['cpu'])],
      [alive.hostId, new Set(['cpu', 'old-plugin'])],
    ]),
    dataSources: new Map(),
    now: now - 5 * day,
  });
  await index.recordFlush({
    hosts: new Map([[alive.hostId, alive]]),
    plugins: new Map([[alive.hostId, new Set(['cpu'])]]),
    dataSources: new Map(),
    now,
  });
  const removed: string[] = [];
  const clock = new ManualClock(now * 1000);
  const cleaner = new Cleaner({
    index,
    wspRoot: root,
    markAfterDays: 2,
    removeFiles: true,
    graceDays: 10,
    intervalSeconds: 3600,
    clock,
    onFileRemoved: (f) => removed.push(f),
  });
  assert.deepEqual(await cleaner.runOnce(), { hostsMarked: 1, pluginsMarked: 1, hostsRemoved: 0, pluginsRemoved: 0 });
  assert.equal(await redis.hget(index.keys.deletedHosts, 'stale-host'), stale.dir);
  assert.equal(await redis.hget(index.keys.deletedPlugins, 'alive-host@old-plugin'), join(alive.dir, 'old-plugin'));
  // The plugin comes back: its mark goes.
  await index.recordFlush({
    hosts: new Map([[alive.hostId, alive]]),
    plugins: new Map([[alive.hostId, new Set(['old-plugin'])]]),
    dataSources: new Map(),
    now,
  });
  assert.equal(await redis.hget(index.keys.deletedPlugins, 'alive-host@old-plugin'), null);
  // Eleven days later (past mark + grace for the stale host only... and the alive host stopped too).
  await clock.advance(11 * day * 1000);
  const result = await cleaner.runOnce();
  assert.equal(result.hostsRemoved, 1);
  assert.equal(existsSync(stale.dir), false);
  assert.deepEqual(removed, [join(stale.dir, 'cpu', 'x.wsp')]);
  assert.equal(await redis.hget(index.keys.wspPath, 'stale-host'), null);
  assert.equal(await redis.hget(index.keys.hosts, 'stale-host'), null);
  assert.ok(existsSync(alive.dir), 'a host marked less than grace days ago keeps its files');
  assert.equal(await redis.hget(index.keys.deletedHosts, 'alive-host'), alive.dir);
  // Started, it makes a pass every intervalSeconds on its clock.
  cleaner.start();
  const runs = cleaner.stats().runs;
  await clock.advance(3600_000);
  await eventually(() => cleaner.stats().runs === runs + 1, 10_000, 'the periodic pass');
  await cleaner.stop();
  assert.equal(clock.pending, 0, 'stopped: no pass left scheduled');
});

test('a lost index is noticed by its marker and rebuilt, even when pollers already refilled part of it', async () => {
  const root = join(dir.dir, 'lost');
  const ownPrefix = `${uniqueName('lost')}:`;
  const own = new IndexWriter(redis, redisKeys(ownPrefix));
  try {
    const hosts = new HostDirectories({ wspRoot: root, hashChars: 2, index: own });
    for (const hostId of ['quiet.host', 'talking.host']) {
      const { dir: hostDir } = await hosts.locate(hostId);
      mkdirSync(join(hostDir, 'load'), { recursive: true });
      writeFileSync(join(hostDir, 'load', 'load.wsp'), '');
    }
    let rebuilt = 0;
    const clock = new ManualClock(1_700_000_000_000);
    const watch = new LostIndexWatch({
      index: own,
      wspRoot: root,
      checkEverySeconds: 3600,
      clock,
      onRebuilt: () => rebuilt++,
    });
    assert.equal((await watch.ensureComplete())?.hosts, 2, 'no marker yet: rebuilt at first start');
    assert.equal(await watch.ensureComplete(), null, 'marker there: nothing to do');
    // Redis loses everything, then one poller sends its MyInfo before the next check.
    await deleteRedisPrefix(ownPrefix);
    const talking = await hosts.locate('talking.host'); // memoised: the process still knows where it lives
    await own.writeHostInfo(talking, { Plugin: 'MyInfo', ID: 'talking.host', Name: 'talking', Description: '' }, 1_700_000_000);
    assert.equal(await redis.hget(own.keys.wspPath, 'talking.host'), talking.dir, 'an info records the location again');
    const result = await watch.ensureComplete();
    assert.equal(result?.hosts, 2);
    assert.equal(rebuilt, 2);
    assert.equal(await redis.hget(own.keys.dataSources('quiet.host'), 'load'), '["load"]');
    assert.equal(JSON.parse((await redis.hget(own.keys.hosts, 'talking.host')) ?? '{}').Name, 'talking', 'the real MyInfo is kept');
    assert.equal(await redis.exists(own.keys.indexMarker), 1);
    // Started, it checks every checkEverySeconds on its clock: a loss is repaired at the next check.
    watch.start();
    await deleteRedisPrefix(ownPrefix);
    await clock.advance(3600_000 - 1);
    assert.equal(watch.stats().checks, 3, 'no check before the interval');
    await clock.advance(1);
    await eventually(() => watch.stats().rebuilds === 3, 10_000, 'the periodic check rebuilt the index');
    assert.equal(await redis.exists(own.keys.indexMarker), 1);
    await watch.stop();
    assert.equal(clock.pending, 0, 'stopped: no check left scheduled');
  } finally {
    await deleteRedisPrefix(ownPrefix);
  }
});

test('without the index, a host directory is found by the same rules (plain, collision, original without marker)', async () => {
  const root = join(dir.dir, 'find');
  const ownPrefix = `${uniqueName('find')}:`;
  try {
    const hosts = new HostDirectories({ wspRoot: root, hashChars: 1, index: new IndexWriter(redis, redisKeys(ownPrefix)) });
    const [a, b] = collidingPair();
    const first = await hosts.locate(a);
    const second = await hosts.locate(b);
    assert.equal(await findHostDirectory(root, 1, a), first.dir);
    assert.equal(await findHostDirectory(root, 1, b), second.dir, 'the collision directory, named by its marker');
    assert.equal(await findHostDirectory(root, 1, 'never.seen'), null);
    const original = join(root, hostHashPrefix('old.one', 1), 'oldone');
    mkdirSync(original, { recursive: true });
    assert.equal(await findHostDirectory(root, 1, 'old.one'), original, "the original's directory has no marker");
    assert.equal(await findHostDirectory(root, 1, '..'), null);
  } finally {
    await deleteRedisPrefix(ownPrefix);
  }
});

test("the file tree's host list is walked once for many requests, then again after a few seconds", async () => {
  const root = join(dir.dir, 'walk');
  const clock = new ManualClock(1_700_000_000_000);
  const files = new HostFiles(root, 2, clock);
  mkdirSync(join(root, hostHashPrefix('one', 2), 'one'), { recursive: true });
  assert.deepEqual([...(await files.hosts()).keys()], ['one']);
  mkdirSync(join(root, hostHashPrefix('two', 2), 'two'), { recursive: true });
  writeFileSync(join(root, hostHashPrefix('two', 2), 'two', HOST_MARKER_FILE), '{"hostId":"two.example"}');
  assert.deepEqual([...(await files.hosts()).keys()], ['one'], 'the same walk serves requests in the same seconds');
  await clock.advance(10_000);
  assert.deepEqual([...(await files.hosts()).keys()].sort(), ['one', 'two.example']);
});
