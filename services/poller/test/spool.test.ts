import assert from 'node:assert/strict';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { systemClock } from '../../../common/lifecycle/index.js';
import { encodeMessage, Message, messageId } from '../../../common/schemas/index.js';
import { dataMessage } from '../../../common/testing/data-message.js';
import { Spool, SpoolConfigError, SpoolLockedError, type SpoolOptions } from '../src/spool/index.js';
import { encodeRecordV1, HEADER_BYTES } from '../src/spool/record.js';
import { capturingLogger, numberOf, readAll, SPOOL_HOST, tempDir } from './spool-fixtures.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('spool', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function openSpool(options: Partial<SpoolOptions> = {}, dir?: string): Promise<{ spool: Spool; dir: string }> {
    let spoolDir = dir;
    if (!spoolDir) {
      const temp = await tempDir('spool');
      cleanups.push(temp.remove);
      spoolDir = temp.dir;
    }
    const spool = new Spool({ dir: spoolDir, fsync: 'never', ...options });
    await spool.start();
    cleanups.unshift(() => spool.stop());
    return { spool, dir: spoolDir };
  }

  async function segmentFiles(dir: string): Promise<string[]> {
    return (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
  }

  it('reads appended records oldest first, and after a restart only the unconfirmed ones', async () => {
    const { spool, dir } = await openSpool({ fsync: 'always' });
    await spool.append(range(0, 3).map((n) => dataMessage(SPOOL_HOST, n)));
    await spool.append(range(3, 10).map((n) => dataMessage(SPOOL_HOST, n)));
    const first = await spool.read(4);
    assert.deepEqual(first.map(numberOf), [0, 1, 2, 3]);
    assert.deepEqual(
      first.map((r) => r.seq),
      [0, 1, 2, 3],
    );
    await spool.confirmThrough(first[3].seq, 4);
    assert.deepEqual((await spool.read(100)).map(numberOf), range(4, 10));
    assert.deepEqual(spool.stats().records, 6);
    await spool.stop();

    const { spool: reopened } = await openSpool({}, dir);
    assert.deepEqual((await readAll(reopened)).map(numberOf), range(4, 10));
    await reopened.append([dataMessage(SPOOL_HOST, 10)]);
    const [next] = await reopened.read(10);
    assert.equal(next.seq, 10, 'sequence numbers go on after a restart');
    const stats = reopened.stats();
    assert.equal(stats.records, 7);
    assert.equal(stats.corrupt, 0);
  });

  it('rewinds to the first unconfirmed record', async () => {
    const { spool } = await openSpool();
    await spool.append(range(0, 5).map((n) => dataMessage(SPOOL_HOST, n)));
    await spool.read(5);
    await spool.confirmThrough(1, 2);
    spool.rewind();
    assert.deepEqual((await readAll(spool)).map(numberOf), [2, 3, 4]);
  });

  it('deletes a segment once every record in it is confirmed', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096, maxBytes: 1 << 20 });
    for (const n of range(0, 100)) await spool.append([dataMessage(SPOOL_HOST, n)]);
    const before = await segmentFiles(dir);
    assert.ok(before.length >= 3, `expected several segments, got ${before.length}`);
    const records = await readAll(spool);
    assert.deepEqual(records.map(numberOf), range(0, 100));
    await spool.confirmThrough(records[99].seq, 100);
    assert.equal((await segmentFiles(dir)).length, 1, 'only the active segment stays');
    assert.equal(spool.stats().records, 0);
    assert.equal(spool.stats().confirmed, 100);
  });

  it('truncates a torn tail on start and keeps every whole record', async () => {
    const { spool, dir } = await openSpool();
    await spool.append(range(0, 5).map((n) => dataMessage(SPOOL_HOST, n)));
    await spool.abandon();
    const [segment] = await segmentFiles(dir);
    const path = join(dir, segment);
    const size = (await stat(path)).size;
    await truncate(path, size - 10); // kill -9 in the middle of the last record's write

    const { spool: reopened } = await openSpool({}, dir);
    assert.deepEqual((await readAll(reopened)).map(numberOf), [0, 1, 2, 3]);
    assert.equal(reopened.stats().corrupt, 1);
    assert.equal((await stat(path)).size < size - 10, true, 'the torn bytes are cut off');
    await reopened.append([dataMessage(SPOOL_HOST, 99)]);
    await reopened.stop();
    const { spool: again } = await openSpool({}, dir);
    assert.deepEqual((await readAll(again)).map(numberOf), [0, 1, 2, 3, 99]);
    assert.equal(again.stats().corrupt, 0, 'appending after the truncation left a clean file');
  });

  it('skips a record with flipped bytes in the middle, counting it, and keeps the rest', async () => {
    const { spool, dir } = await openSpool();
    await spool.append(range(0, 6).map((n) => dataMessage(SPOOL_HOST, n)));
    await spool.abandon();
    const path = join(dir, (await segmentFiles(dir))[0]);
    const bytes = await readFile(path);
    const recordSize = bytes.length / 6;
    bytes[2 * recordSize + HEADER_BYTES + 5] ^= 0xff; // payload of record 2
    bytes[4 * recordSize + 9] ^= 0x40; // length field of record 4
    await writeFile(path, bytes);

    const { spool: reopened } = await openSpool({}, dir);
    assert.deepEqual((await readAll(reopened)).map(numberOf), [0, 1, 3, 5]);
    assert.equal(reopened.stats().corrupt, 2);
  });

  it('reads a segment the previous version wrote (NMS1 records, no route), checks it as before and appends NMS2 records after it', async () => {
    const temp = await tempDir('spool-v1');
    cleanups.push(temp.remove);
    const old = range(0, 4).map((n) => encodeRecordV1(n, Date.now(), encodeMessage(Message.parse(dataMessage(SPOOL_HOST, n)))));
    old[2][HEADER_BYTES + 7] ^= 0x20; // damage in an old record is still found (CRC)
    await writeFile(join(temp.dir, `${'0'.repeat(16)}.seg`), Buffer.concat(old));
    const { spool } = await openSpool({}, temp.dir);
    assert.equal(spool.stats().corrupt, 1);
    await spool.append([dataMessage(SPOOL_HOST, 4)]);
    const records = await readAll(spool);
    assert.deepEqual(records.map(numberOf), [0, 1, 3, 4]);
    assert.deepEqual(
      records.map((r) => r.route?.messageId),
      [undefined, undefined, undefined, messageId(Message.parse(dataMessage(SPOOL_HOST, 4)))],
      'only the new record carries its route; the forwarder takes the old ones from their JSON',
    );
    assert.deepEqual(
      records.map((r) => r.seq),
      [0, 1, 3, 4],
    );
  });

  it('counts exactly the records lost to damage at the start of a segment or the tail of an older one', async () => {
    const { spool, dir } = await openSpool({ segmentBytes: 4096, maxBytes: 1 << 20 });
    for (const n of range(0, 100)) await spool.append([dataMessage(SPOOL_HOST, n)]);
    await spool.abandon();
    const [first, second] = await segmentFiles(dir);
    const firstPath = join(dir, first);
    const bytes = await readFile(firstPath);
    bytes[HEADER_BYTES + 3] ^= 0x01; // payload of the segment's first record
    await writeFile(firstPath, bytes);
    const secondPath = join(dir, second);
    await truncate(secondPath, (await stat(secondPath)).size - 3); // last record of an older segment

    const { spool: reopened } = await openSpool({ segmentBytes: 4096, maxBytes: 1 << 20 }, dir);
    const ids = (await readAll(reopened)).map(numberOf);
    assert.equal(reopened.stats().corrupt, 2);
    assert.equal(ids.length, 98);
    assert.equal(ids[0], 1, 'the damaged first record is skipped');
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
  });

  it('drops the oldest segment when full, counting the records and logging their time range', async () => {
    const { logger, lines } = capturingLogger();
    let now = Date.UTC(2026, 0, 1);
    const { spool } = await openSpool({ segmentBytes: 4096, maxBytes: 8192, clock: { ...systemClock, nowMs: () => now }, logger });
    for (const n of range(0, 200)) {
      await spool.append([dataMessage(SPOOL_HOST, n)]);
      now += 1000;
    }
    const stats = spool.stats();
    assert.ok(stats.dropped > 0);
    assert.equal(stats.droppedSize, stats.dropped);
    assert.ok(stats.bytes <= 8192, `spool holds ${stats.bytes} bytes`);
    const left = (await readAll(spool)).map(numberOf);
    assert.equal(left.length + stats.dropped, 200, 'every record is either kept or counted as dropped');
    assert.deepEqual(left, range(200 - left.length, 200), 'what is kept is the newest, in order');
    const drops = lines.filter((line) => line.msg === 'spool dropped records');
    assert.equal(
      drops.reduce((sum, line) => sum + Number(line.records), 0),
      stats.dropped,
    );
    assert.equal(drops[0].from, '2026-01-01T00:00:00.000Z');
    assert.equal(drops[0].reason, 'size');
  });

  it('drops segments older than maxAge and counts them', async () => {
    let now = Date.UTC(2026, 0, 1);
    const { spool } = await openSpool({ maxAgeSeconds: 800, clock: { ...systemClock, nowMs: () => now } });
    for (const n of range(0, 12)) {
      await spool.append([dataMessage(SPOOL_HOST, n)]);
      now += 100_000; // every 100 s: segments roll every maxAge/8 = 100 s
    }
    const left = (await readAll(spool)).map(numberOf);
    const stats = spool.stats();
    assert.equal(stats.droppedAge, stats.dropped);
    assert.ok(stats.dropped >= 1, 'nothing expired');
    assert.equal(left.length + stats.dropped, 12);
    assert.ok(stats.oldestAgeSeconds <= 800 + 200, `oldest record is ${stats.oldestAgeSeconds} s old`);
    assert.deepEqual(left, range(12 - left.length, 12));
  });

  it('treats a full disk as a state: drops and counts new messages without throwing, then recovers', async () => {
    let full = false;
    const { spool, dir } = await openSpool({
      io: {
        async write(handle, data) {
          if (full) {
            await handle.write(data.subarray(0, 7)); // a short write, then no space
            throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          }
          await handle.write(data);
        },
      },
    });
    await spool.append([dataMessage(SPOOL_HOST, 0)]);
    full = true;
    await spool.append([dataMessage(SPOOL_HOST, 1), dataMessage(SPOOL_HOST, 2)]);
    assert.equal(spool.stats().droppedDiskFull, 2);
    assert.equal(spool.stats().diskFull, 1);
    full = false;
    await spool.append([dataMessage(SPOOL_HOST, 3)]);
    assert.equal(spool.stats().diskFull, 0);
    await spool.stop();
    const { spool: reopened } = await openSpool({}, dir);
    assert.deepEqual((await readAll(reopened)).map(numberOf), [0, 3]);
    assert.equal(reopened.stats().corrupt, 0, 'the short write was cut off');
  });

  it('spools host and plugin info messages too, with schema defaults applied', async () => {
    const { spool } = await openSpool();
    await spool.append([
      { v: 1, kind: 'host', hostId: 'h1', timestamp: 1_700_000_000, name: 'h1' },
      { v: 1, kind: 'info', hostId: 'h1', plugin: 'load', timestamp: 1_700_000_000, title: 'Load', fields: { load: { label: 'load' } } },
      dataMessage('h1', 0),
    ]);
    const messages = (await readAll(spool)).map((r) => JSON.parse(r.payload.toString()) as Message);
    assert.deepEqual(
      messages.map((m) => m.kind),
      ['host', 'info', 'data'],
    );
    assert.equal(messages[0].kind === 'host' && messages[0].description, '');
    assert.equal(messages[1].kind === 'info' && messages[1].fields.load.type, 'GAUGE');
  });

  it('refuses invalid messages, counting them, and stores the valid ones of the batch', async () => {
    const { spool } = await openSpool();
    const bad = { ...dataMessage(SPOOL_HOST, 1), hostId: '../etc' } as Message;
    await spool.append([dataMessage(SPOOL_HOST, 0), bad, dataMessage(SPOOL_HOST, 2)]);
    assert.equal(spool.stats().invalid, 1);
    assert.deepEqual((await readAll(spool)).map(numberOf), [0, 2]);
  });

  it('lets one writer at a time use a directory and validates its options', async () => {
    const { dir } = await openSpool();
    await assert.rejects(new Spool({ dir }).start(), SpoolLockedError);
    assert.throws(() => new Spool({ dir, segmentBytes: 1 << 20, maxBytes: 1 << 20 }), SpoolConfigError);
    assert.throws(() => new Spool({ dir, fsync: 0 }), /fsync interval/);
  });

  it('fsyncs on an interval under a numeric policy', async () => {
    const { spool } = await openSpool({ fsync: 20 });
    await spool.append([dataMessage(SPOOL_HOST, 0)]);
    assert.equal(spool.stats().fsyncs, 0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.ok(spool.stats().fsyncs >= 1);
  });
});
