import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CorruptWhisperFileError,
  create,
  fetch,
  info,
  TimestampNotCoveredError,
  update,
  updateMany,
  WhisperError,
  WhisperWriter,
} from '../index.js';
import { NOW, REPO, rng, STD, spec, tempDir } from './helpers.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const dir = tempDir();

describe('WhisperWriter', () => {
  it('writes the same bytes as the path-based API, with cached handles', () => {
    const r = rng(5);
    let now = NOW;
    const w = new WhisperWriter({ maxOpenFiles: 3, now: () => now });
    const files = Array.from({ length: 5 }, (_, i) => path.join(dir, `w${i}.wsp`));
    const refs = files.map((f) => `${f}.ref`);
    files.forEach((f, i) => {
      w.create(f, STD, { aggregationMethod: i % 2 ? 'max' : 'average' });
      create(refs[i], STD, { aggregationMethod: i % 2 ? 'max' : 'average' });
    });
    let expected = 0;
    for (let step = 0; step < 400; step++) {
      now += 30;
      const i = Math.floor(r() * files.length);
      const pts: Array<[number, number]> = [];
      const count = 1 + Math.floor(r() * 12);
      for (let j = 0; j < count; j++) pts.push([now - Math.floor(r() * 7200), Math.round(r() * 1000) / 10]);
      pts.push([now - 90000 * 400, 1]); // beyond max retention: dropped, not counted
      assert.equal(w.updateMany(files[i], pts), count);
      updateMany(refs[i], pts, { now });
      expected += count;
      if (step % 7 === 0) {
        w.update(files[i], step, now - 60);
        update(refs[i], step, now - 60, { now });
        expected += 1;
      }
    }
    assert.equal(w.stats.pointsWritten, expected);
    assert.ok(w.stats.openFiles <= 3);
    assert.ok(w.stats.cacheHits > 0 && w.stats.cacheMisses > 5, JSON.stringify(w.stats));
    files.forEach((f, i) => {
      assert.ok(fs.readFileSync(f).equals(fs.readFileSync(refs[i])), f);
      assert.deepEqual(w.fetch(f, now - 3600), fetch(refs[i], now - 3600, undefined, { now }));
      assert.deepEqual(w.info(f), info(refs[i]));
    });
    w.close();
    w.close(); // idempotent
    assert.equal(w.stats.openFiles, 0);
    assert.throws(() => w.updateMany(files[0], [[now, 1]]), /WhisperWriter is closed/);
  });

  it("takes whisper's now= per batch: the same bytes as updateMany(..., { now }) with the clock elsewhere", () => {
    const w = new WhisperWriter({ now: () => NOW });
    const file = path.join(dir, 'per-call-now.wsp');
    w.create(file, STD);
    create(`${file}.ref`, STD);
    // Points a day ahead of the writer's clock: with that clock they would be refused as future.
    const later = NOW + 86_400;
    const pts: Array<[number, number]> = [
      [later - 120, 1],
      [later - 60, 2],
    ];
    assert.equal(w.updateMany(file, pts, later), 2);
    updateMany(`${file}.ref`, pts, { now: later });
    assert.ok(fs.readFileSync(file).equals(fs.readFileSync(`${file}.ref`)));
    assert.throws(() => w.updateMany(file, [[later, 3]]), /in the future/, "without a now the writer's clock applies");
    w.close();
  });

  it('single-point updates through cached propagation windows give the path-based bytes', () => {
    // Small rings (wrap-around, a window as large as the ring) and all methods, mixing
    // in-range, too-old and out-of-order single updates with occasional batches.
    const configs = [
      [spec(60, 5), spec(300, 10)],
      [spec(60, 10), spec(300, 12), spec(900, 12)],
      [spec(10, 30), spec(60, 20), spec(600, 10), spec(3600, 5)],
    ];
    const methods = ['average', 'sum', 'last', 'max', 'min', 'avg_zero', 'absmax', 'absmin'] as const;
    const r = rng(11);
    let now = NOW;
    const w = new WhisperWriter({ maxOpenFiles: 4, now: () => now });
    const files = Array.from({ length: 6 }, (_, i) => {
      const f = path.join(dir, `win${i}.wsp`);
      const opts = { aggregationMethod: methods[i % methods.length], xFilesFactor: [0, 0.5, 1][i % 3] };
      create(f, configs[i % configs.length], opts);
      create(`${f}.ref`, configs[i % configs.length], opts);
      return f;
    });
    for (let step = 1; step <= 1500; step++) {
      now += Math.floor(r() * 40);
      const f = files[Math.floor(r() * files.length)];
      const x = r();
      if (x < 0.85) {
        const ts = now - Math.floor(r() * (x < 0.6 ? 120 : 4000));
        const v = r() < 0.03 ? Number.NaN : Math.round(r() * 200 - 100);
        let ours: unknown;
        let ref: unknown;
        try {
          w.update(f, v, ts);
        } catch (e) {
          ours = (e as Error).constructor;
        }
        try {
          update(`${f}.ref`, v, ts, { now });
        } catch (e) {
          ref = (e as Error).constructor;
        }
        assert.equal(ours, ref);
      } else {
        const pts: Array<[number, number]> = Array.from({ length: 1 + Math.floor(r() * 8) }, () => [
          now - Math.floor(r() * 900),
          Math.round(r() * 50),
        ]);
        w.updateMany(f, pts);
        updateMany(`${f}.ref`, pts, { now });
      }
      if (step % 100 === 0)
        for (const g of files) assert.ok(fs.readFileSync(g).equals(fs.readFileSync(`${g}.ref`)), `${g} at step ${step}`);
    }
    w.close();
  });

  it('keeps at most maxOpenFiles descriptors open (LRU)', () => {
    const files = Array.from({ length: 4 }, (_, i) => path.join(dir, `lru${i}.wsp`));
    for (const f of files) create(f, [spec(60, 10)]);
    const w = new WhisperWriter({ maxOpenFiles: 2, now: () => NOW });
    w.updateMany(files[0], [[NOW, 1]]);
    w.updateMany(files[1], [[NOW, 1]]);
    w.updateMany(files[0], [[NOW, 2]]); // files[0] becomes most recent
    w.updateMany(files[2], [[NOW, 1]]); // evicts files[1]
    assert.deepEqual(w.stats, { openFiles: 2, pointsWritten: 4, cacheHits: 1, cacheMisses: 3 });
    w.updateMany(files[0], [[NOW, 3]]);
    assert.equal(w.stats.cacheHits, 2, 'files[0] was kept');
    w.updateMany(files[1], [[NOW, 3]]);
    assert.equal(w.stats.cacheMisses, 4, 'files[1] had been evicted');
    w.close();
  });

  it('forget() drops a stale handle after the file is replaced', () => {
    const f = path.join(dir, 'replaced.wsp');
    create(f, [spec(60, 10)]);
    const w = new WhisperWriter({ now: () => NOW });
    assert.equal(w.info(f).archives[0].points, 10);
    fs.rmSync(f);
    create(f, [spec(60, 20)]);
    assert.equal(w.info(f).archives[0].points, 10, 'still the cached header');
    w.forget(f);
    assert.equal(w.info(f).archives[0].points, 20);
    assert.equal(w.stats.openFiles, 1);
    w.close();
  });

  it('rejected points leave the file untouched and the handle cached', () => {
    const f = path.join(dir, 'reject.wsp');
    create(f, [spec(60, 10)]);
    const w = new WhisperWriter({ now: () => NOW });
    const before = fs.readFileSync(f);
    assert.throws(() => w.updateMany(f, [[NOW + 60, 1]]), TimestampNotCoveredError);
    assert.throws(() => w.update(f, 1, NOW - 600), TimestampNotCoveredError);
    assert.ok(fs.readFileSync(f).equals(before));
    assert.equal(w.stats.openFiles, 1);
    assert.equal(w.stats.pointsWritten, 0);
    w.close();
  });

  it('a corrupt file raises CorruptWhisperFileError and is not cached', () => {
    const f = path.join(dir, 'corrupt.wsp');
    fs.writeFileSync(f, Buffer.alloc(8));
    const w = new WhisperWriter();
    assert.throws(
      () => w.updateMany(f, [[NOW, 1]]),
      (e: unknown) => e instanceof CorruptWhisperFileError && e.path === f,
    );
    assert.equal(w.stats.openFiles, 0);
    assert.equal(fs.readFileSync(f).length, 8);
    w.close();
  });

  it('gives back descriptors when the process runs out (EMFILE) instead of failing', () => {
    const child = path.join(HERE, 'fixtures', 'emfile-child.ts');
    const out = execFileSync('bash', ['-c', `ulimit -n 100 && exec "${process.execPath}" --import tsx "${child}"`], { cwd: REPO });
    const stats = JSON.parse(out.toString());
    assert.equal(stats.written, 200);
    assert.ok(stats.openFiles > 0 && stats.openFiles < 100, JSON.stringify(stats));
  });

  it('rejects a bad maxOpenFiles', () => {
    assert.throws(() => new WhisperWriter({ maxOpenFiles: 0 }), WhisperError);
  });

  it('create() does not make parent directories', () => {
    const w = new WhisperWriter();
    assert.throws(
      () => w.create(path.join(dir, 'nodir', 'x.wsp'), STD),
      (e: unknown) => e instanceof WhisperError && e.code === 'ENOENT',
    );
    w.close();
  });
});
