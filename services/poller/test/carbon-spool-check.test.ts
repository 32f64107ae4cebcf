import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../../common/logging/index.js';
import { decodeMessage, type Message } from '../../../common/schemas/index.js';
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

describe('a flush in parts', () => {
  test('appends about partValues values at a time, infos first; values arriving between parts join their plugin (this flush if not yet taken, else the next), each exactly once', async () => {
    const batch = new PointBatch();
    const catalog = new SeriesCatalog({ maxSeries: 1000, category: 'carbon', source: 'carbon' });
    const appends: Message[][] = [];
    const add = (plugin: number, ds: number, ts: number) => {
      catalog.admit('h', `p${plugin}`, `v${ds}`, () => ({ label: `v${ds}`, type: 'GAUGE' }));
      assert.ok(batch.add('h', `p${plugin}`, `v${ds}`, ts, plugin * 100 + ds + ts - TS));
    };
    for (let plugin = 0; plugin < 6; plugin++) for (let ds = 0; ds < 5; ds++) add(plugin, ds, TS);
    const loop = new FlushLoop({
      batch,
      catalog,
      publish: async (messages) => {
        appends.push(messages);
        // Lines read while this part is being spooled: for a plugin already taken (p0) and one not yet taken (p5).
        if (appends.length === 1) {
          add(0, 0, TS + 1);
          add(5, 0, TS + 1);
        }
      },
      selfHost: 'self',
      flushIntervalMs: 60_000,
      refreshSeconds: 3600,
      maxPointsPerMessage: 500,
      logger,
      nowSeconds: () => TS + 2,
      invalid: () => {},
      partValues: 10,
    });
    await loop.flush();
    assert.deepEqual(
      appends.map((messages) => messages.map((m) => (m.kind === 'data' ? m.points.map((p) => p.plugin).join(',') : m.kind))),
      [['host', 'info', 'info', 'info', 'info', 'info', 'info', 'p0,p1'], ['p2,p3'], ['p4,p5,p5']],
      'infos with the first part; two plugins (10 values) per part',
    );
    const lastPart = appends[2][0];
    assert.ok(lastPart.kind === 'data');
    assert.deepEqual(lastPart.points[2], { plugin: 'p5', timestamp: TS + 1, values: { v0: 501 } }, 'p5 was not taken yet: this flush');
    assert.equal(batch.size, 1, "p0's late value waits for the next flush");
    assert.equal(loop.counters.valuesSpooled, 31);
    assert.equal(loop.counters.flushes, 1);
    await loop.flush();
    const next = appends[3][0];
    assert.ok(next.kind === 'data');
    assert.deepEqual(next.points, [{ plugin: 'p0', timestamp: TS + 1, values: { v0: 1 } }]);
    assert.equal(loop.counters.valuesSpooled, 32);
  });
});
