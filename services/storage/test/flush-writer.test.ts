import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { wholeSecondsOf } from '../../../common/lifecycle/index.js';
import { ManualClock } from '../../../common/testing/manual-clock.js';
import { uniqueName } from '../../../common/testing/names.js';
import { pythonFetch } from '../../../common/testing/python-whisper.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import type { PendingSeries } from '../src/cache/write-cache.js';
import { IndexWriter } from '../src/index/index-writer.js';
import { redisKeys } from '../src/index/keys.js';
import { FlushWriter } from '../src/persist/flush-writer.js';
import { RetentionRules } from '../src/persist/retention-rules.js';
import { SeriesWriter } from '../src/persist/series-writer.js';
import { recentMinute, tempDir } from './ingest-fixtures.js';

test('the index is written when something changed: last-seen at most once a minute per plugin, new plugins and files at once', async () => {
  const dir = await tempDir('flush');
  const prefix = `${uniqueName('flush')}:`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await redis.connect();
  const t0 = recentMinute(10);
  const clock = new ManualClock((t0 + 600) * 1000);
  const now = () => wholeSecondsOf(clock);
  const index = new IndexWriter(redis, redisKeys(prefix));
  const writer = new SeriesWriter({ rules: new RetentionRules(), maxOpenFiles: 10, sparse: true, clock });
  const flushWriter = new FlushWriter({ writer, index, clock, lastSeenEverySeconds: 60 });
  const host = { hostId: 'h1', hash: 'ab', dir: join(dir.dir, 'ab', 'h1') };
  const series = (plugin: string, ds: string, minute: number): PendingSeries => ({
    file: join(host.dir, plugin, `${ds}.wsp`),
    host,
    plugin,
    ds,
    timestamps: [t0 + minute * 60, t0 + minute * 60 + 60],
    values: [minute, minute + 0.5],
  });
  const lastSeen = async (plugin: string) => Number(await redis.hget(index.keys.lastSeenPlugins('h1'), plugin));
  try {
    assert.equal((await flushWriter.flush([series('cpu', 'user', 0)])).size, 0);
    assert.equal(await lastSeen('cpu'), now());
    assert.equal(await redis.hget(index.keys.dataSources('h1'), 'cpu'), '["user"]');
    const firstSeen = now();

    await clock.advance(30_000); // within the minute: the points are written, the index is left alone...
    await flushWriter.flush([series('cpu', 'user', 2)]);
    assert.equal(await lastSeen('cpu'), firstSeen);
    // ...but a new data source and a new plugin are recorded at once.
    await flushWriter.flush([series('cpu', 'system', 2), series('load', 'load', 2)]);
    assert.equal(await redis.hget(index.keys.dataSources('h1'), 'cpu'), '["system","user"]');
    assert.equal(await lastSeen('load'), now());
    assert.equal(await lastSeen('cpu'), firstSeen);

    await clock.advance(30_000); // a minute after: recorded again
    await flushWriter.flush([series('cpu', 'user', 4)]);
    assert.equal(await lastSeen('cpu'), now());

    // An emptied index (forgetIndexed after a rebuild) is filled on the next flush.
    await deleteRedisPrefix(prefix);
    flushWriter.forgetIndexed();
    await flushWriter.flush([series('cpu', 'user', 6)]);
    assert.equal(await redis.hget(index.keys.wspPath, 'h1'), host.dir);
    assert.equal(await redis.hget(index.keys.dataSources('h1'), 'cpu'), '["user"]');

    // Every point reached its file whatever the index did.
    const stored = pythonFetch(join(host.dir, 'cpu', 'user.wsp'), t0 - 60, t0 + 480);
    assert.deepEqual(
      stored.map(([, v]) => v),
      [0, 0.5, 2, 2.5, 4, 4.5, 6, 6.5],
    );
  } finally {
    writer.close();
    await deleteRedisPrefix(prefix);
    await redis.quit();
    await dir.remove();
  }
});
