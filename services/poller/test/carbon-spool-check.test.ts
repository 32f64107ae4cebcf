import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../../common/logging/index.js';
import { decodeMessage } from '../../../common/schemas/index.js';
import { tempDir } from '../../../common/testing/temp-dir.js';
import { SeriesCatalog } from '../src/modules/carbon/batch.js';
import { FlushLoop } from '../src/modules/carbon/flush-loop.js';
import { PointBatch } from '../src/modules/carbon/point-batch.js';
import { Spool } from '../src/spool/index.js';

const logger = createLogger({ name: 'carbon-spool-check-test', level: 'silent' });
const TS = 1_800_000_000;

describe("the listeners' data messages are checked once, by the spool", () => {
  const dirs: Array<{ remove(): Promise<void> }> = [];
  after(() => Promise.all(dirs.map((d) => d.remove())));

  test('a data message with a bad name or value built past the line checks cannot enter the spool; the rest of the flush does', async () => {
    const dir = await tempDir('carbon-spool-check');
    dirs.push(dir);
    const spool = new Spool({ dir: dir.dir, fsync: 'never', logger });
    await spool.start();
    const batch = new PointBatch();
    const invalid: string[] = [];
    const loop = new FlushLoop({
      batch,
      catalog: new SeriesCatalog({ maxSeries: 100, category: 'carbon', source: 'carbon' }),
      publish: (messages) => spool.append(messages),
      selfHost: 'self',
      flushIntervalMs: 60_000,
      refreshSeconds: 3600,
      maxPointsPerMessage: 500,
      logger,
      nowSeconds: () => TS,
      invalid: (problem) => void invalid.push(problem),
    });
    // The batch takes what it is given: these would have been refused line by line.
    assert.ok(batch.add('good', 'p', 'v', TS, 1));
    assert.ok(batch.add('unsafe-ds', 'p', '../../etc', TS, 2));
    assert.ok(batch.add('infinite', 'p', 'v', TS, Number.POSITIVE_INFINITY));
    assert.ok(batch.add('ancient', 'p', 'v', 12, 3));
    assert.ok(batch.add('good', 'q', 'w', TS + 1, 4));
    await loop.flush();
    const stored = (await spool.read(100)).map((record) => decodeMessage(record.payload));
    assert.deepEqual(
      stored.map((d) => (d.ok && d.message.kind === 'data' ? [d.message.hostId, d.message.points] : d)),
      [
        [
          'good',
          [
            { plugin: 'p', timestamp: TS, values: { v: 1 } },
            { plugin: 'q', timestamp: TS + 1, values: { w: 4 } },
          ],
        ],
      ],
    );
    assert.equal(spool.stats().invalid, 3);
    assert.deepEqual(invalid, [], 'the listener no longer checks data messages itself');
    await spool.stop();
  });
});

describe('the columnar batch', () => {
  test('keeps the first value of a second (in order, out of order, and the latest spooled one), and builds points per plugin and second', () => {
    const batch = new PointBatch();
    assert.ok(batch.add('h', 'p', 'a', TS + 2, 1));
    assert.ok(batch.add('h', 'p', 'a', TS, 2), 'an older second is taken');
    assert.equal(batch.add('h', 'p', 'a', TS + 2, 9), false, 'the latest second again');
    assert.equal(batch.add('h', 'p', 'a', TS, 9), false, 'an out-of-order second again');
    assert.ok(batch.add('h', 'p', 'a', TS + 1, 3));
    assert.ok(batch.add('h', 'p', 'b', TS + 2, 4), 'another series of the plugin, other seconds');
    assert.ok(batch.add('h', 'r', 'c', TS, 5));
    assert.ok(batch.add('h', 'r', 'd', TS, 6));
    assert.equal(batch.size, 6);
    const first = batch.take(500);
    assert.equal(first.values, 6);
    assert.deepEqual(first.messages, [
      {
        v: 1,
        kind: 'data',
        hostId: 'h',
        points: [
          { plugin: 'p', timestamp: TS + 2, values: { a: 1, b: 4 } },
          { plugin: 'p', timestamp: TS, values: { a: 2 } },
          { plugin: 'p', timestamp: TS + 1, values: { a: 3 } },
          { plugin: 'r', timestamp: TS, values: { c: 5, d: 6 } },
        ],
      },
    ]);
    assert.equal(batch.size, 0);
    assert.equal(batch.add('h', 'p', 'a', TS + 2, 7), false, 'the latest spooled second is not sent twice');
    assert.ok(batch.add('h', 'p', 'a', TS + 1, 8), 'only the latest spooled second is remembered (as before the columns)');
    assert.ok(batch.add('h', 'p', 'a', TS + 3, 9));
    assert.deepEqual(batch.take(500).messages[0], {
      v: 1,
      kind: 'data',
      hostId: 'h',
      points: [
        { plugin: 'p', timestamp: TS + 1, values: { a: 8 } },
        { plugin: 'p', timestamp: TS + 3, values: { a: 9 } },
      ],
    });
  });
});
