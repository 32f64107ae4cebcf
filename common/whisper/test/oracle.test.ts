/**
 * Cross-checks against python3-whisper 1.1.4 (the reference), on seeded random workloads:
 * the same operations with the same `now` must give byte-identical files and the same
 * errors; each side must read the other's files identically; merge and diff must agree.
 * The oracle runs once per phase (replay_each / batch), so the suite stays fast.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  type AggregationMethod,
  type ArchiveSpec,
  aggregationMethods,
  create,
  diff,
  fetch,
  merge,
  setAggregationMethod,
  setXFilesFactor,
  update,
  updateMany,
  WhisperError,
} from '../index.js';
import { batch, contentOf, dec, enc, type OracleOp, replayEach, rng, STD, spec, tempDir } from './helpers.js';

const CONFIGS: ArchiveSpec[][] = [
  [spec(60, 10), spec(300, 12)],
  [spec(60, 5), spec(300, 10)],
  [spec(1, 60), spec(60, 60), spec(3600, 24)],
  [spec(10, 30), spec(60, 20), spec(600, 10), spec(3600, 5)],
  [spec(60, 30), spec(120, 20), spec(600, 12)],
  STD,
];
const XFFS = [0, 0.1, 0.3, 0.5, 0.7, 1];

interface Workload {
  files: Array<{ ours: string; ref: string; archives: ArchiveSpec[] }>;
  ops: Array<{ file: number; op: OracleOp }>;
}

/** Random but reproducible operations over `nFiles` files. */
function generate(seed: number, nFiles: number, opsPerFile: number, dir: string): Workload {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const value = () => {
    const x = r();
    if (x < 0.02) return Number.NaN;
    if (x < 0.03) return x < 0.025 ? Infinity : -Infinity;
    return x < 0.5 ? int(-1000, 1000) : (r() - 0.5) * 1e6;
  };
  const w: Workload = { files: [], ops: [] };
  for (let i = 0; i < nFiles; i++) {
    const archives = pick(CONFIGS);
    const file = { ours: path.join(dir, `o${seed}-${i}.wsp`), ref: path.join(dir, `r${seed}-${i}.wsp`), archives };
    w.files.push(file);
    w.ops.push({
      file: i,
      op: {
        op: 'create',
        archives: archives.map((a) => [a.secondsPerPoint, a.points]),
        xff: pick(XFFS),
        agg: pick(aggregationMethods),
        sparse: r() < 0.3,
      },
    });
    const maxRet = Math.max(...archives.map((a) => a.secondsPerPoint * a.points));
    const step0 = archives[0].secondsPerPoint;
    let now = 1700000000 + int(0, 100000);
    for (let k = 0; k < opsPerFile; k++) {
      now += r() < 0.1 ? int(0, maxRet) : int(0, 3 * step0);
      const kind = r();
      if (kind < 0.35) {
        // single update(): mostly recent, sometimes out of range on either side
        const x = r();
        const ts =
          x < 0.05
            ? now + int(1, 1000)
            : x < 0.1
              ? now - maxRet - int(0, 100)
              : now - int(0, Math.min(maxRet - 1, x < 0.7 ? 5 * step0 : maxRet - 1));
        w.ops.push({ file: i, op: { op: 'update', value: value(), ts, now } });
      } else if (kind < 0.9) {
        // update_many(): a run of consecutive steps, scattered points, duplicates, too-old points
        const pts: Array<[number, number]> = [];
        const count = int(1, r() < 0.2 ? 150 : 20);
        const style = r();
        let t = now - int(0, Math.min(maxRet, 50 * step0));
        for (let j = 0; j < count; j++) {
          if (style < 0.5) {
            pts.push([Math.min(now, t), value()]);
            t += step0 * (r() < 0.9 ? 1 : int(0, 3)) + (r() < 0.2 ? int(0, step0 - 1) : 0);
          } else {
            pts.push([now - int(0, Math.floor(maxRet * 1.1)), value()]);
          }
          if (r() < 0.1) pts.push([pts[pts.length - 1][0], value()]); // exact duplicate timestamp
        }
        if (r() < 0.3) pts.reverse();
        w.ops.push({ file: i, op: { op: 'update_many', points: pts, now } });
      } else if (kind < 0.95) {
        w.ops.push({ file: i, op: { op: 'set_agg', agg: pick(aggregationMethods), xff: r() < 0.5 ? pick(XFFS) : undefined } });
      } else {
        w.ops.push({ file: i, op: { op: 'set_xff', xff: pick(XFFS) } });
      }
    }
  }
  return w;
}

/** Applies one op with our library; returns the error class name, or undefined. */
function applyOurs(file: string, op: OracleOp): string | undefined {
  try {
    switch (op.op) {
      case 'create':
        create(
          file,
          (op.archives as number[][]).map(([s, p]) => spec(s, p)),
          { xFilesFactor: op.xff as number, aggregationMethod: op.agg as AggregationMethod, sparse: op.sparse as boolean },
        );
        break;
      case 'update':
        update(file, op.value as number, op.ts as number, { now: op.now as number });
        break;
      case 'update_many':
        updateMany(file, op.points as Array<[number, number]>, { now: op.now as number });
        break;
      case 'set_agg':
        setAggregationMethod(file, op.agg as AggregationMethod, op.xff as number | undefined);
        break;
      case 'set_xff':
        setXFilesFactor(file, op.xff as number);
        break;
      default:
        throw new Error(`unknown op ${op.op}`);
    }
    return undefined;
  } catch (e) {
    if (!(e instanceof WhisperError)) throw e;
    return e.constructor.name;
  }
}

const REF_ERROR: Record<string, string> = { TimestampNotCovered: 'TimestampNotCoveredError' };

function runWorkload(seed: number, nFiles: number, opsPerFile: number) {
  const dir = tempDir(`whisper-oracle-${seed}-`);
  const w = generate(seed, nFiles, opsPerFile, dir);
  const ourErrors = w.ops.map(({ file, op }) => applyOurs(w.files[file].ours, op));
  const refOps = w.ops.map(({ file, op }) => {
    const o: OracleOp = { ...op, path: w.files[file].ref };
    if (op.op === 'update') o.value = enc(op.value as number);
    if (op.op === 'update_many') o.points = (op.points as Array<[number, number]>).map(([t, v]) => [t, enc(v)]);
    return o;
  });
  const refResults = replayEach(refOps);
  return { dir, w, ourErrors, refResults };
}

describe('cross-check with python3-whisper', () => {
  for (const [seed, nFiles, opsPerFile] of [
    [1, 40, 40],
    [2, 40, 40],
    [3, 20, 120],
  ] as const) {
    it(`seed ${seed}: ${nFiles} files × ${opsPerFile} random ops give byte-identical files and the same errors`, () => {
      const { w, ourErrors, refResults } = runWorkload(seed, nFiles, opsPerFile);
      let errors = 0;
      w.ops.forEach(({ op }, k) => {
        const ref = refResults[k];
        const expected = ref.error ? (REF_ERROR[ref.error] ?? ref.error) : undefined;
        assert.equal(ourErrors[k], expected, `op ${k} ${op.op}: ours ${ourErrors[k]}, reference ${ref.error}: ${ref.message}`);
        if (expected) errors++;
      });
      assert.ok(errors > 0, 'the workload exercises rejected updates');
      for (const f of w.files) {
        const ours = fs.readFileSync(f.ours);
        const ref = fs.readFileSync(f.ref);
        if (!ours.equals(ref)) {
          assert.deepEqual(contentOf(f.ours), contentOf(f.ref), `${f.ours}: content differs from the reference`);
          assert.fail(`${f.ours}: same content, different ring rotation`);
        }
      }

      // Read compatibility: the reference reads our files like we do, and we read its files like it does.
      const queries: unknown[][] = [];
      const ours: unknown[] = [];
      const r = rng(seed + 1000);
      for (const f of w.files) {
        const maxRet = Math.max(...f.archives.map((a) => a.secondsPerPoint * a.points));
        const last = w.ops.filter((o) => w.files[o.file] === f && typeof o.op.now === 'number').pop();
        const now = ((last?.op.now as number) ?? 1700000000) + Math.floor(r() * 120);
        for (let q = 0; q < 4; q++) {
          const from = now - Math.floor(r() * maxRet * 1.2);
          const until = q === 0 ? now : from + Math.floor(r() * (now - from + 100));
          for (const file of [f.ours, f.ref]) {
            queries.push(['fetch', file, from, until, now]);
            ours.push(fetch(file, from, until, { now }));
          }
        }
      }
      const theirs = batch(queries) as Array<{ start: number; end: number; step: number; values: unknown[] } | null>;
      theirs.forEach((t, k) => {
        const expected = t === null ? null : { ...t, values: t.values.map(dec) };
        assert.deepEqual(ours[k], expected, `query ${JSON.stringify(queries[k])}`);
      });
    });
  }

  it('merge and diff agree with the reference', () => {
    const dir = tempDir('whisper-merge-');
    const r = rng(7);
    const now = 1700000000;
    const ops: OracleOp[] = [];
    const pairs: Array<[string, string, string, string]> = [];
    for (let i = 0; i < 12; i++) {
      const archives = CONFIGS[i % CONFIGS.length];
      const [a, b, ra, rb] = ['a', 'b', 'ra', 'rb'].map((x) => path.join(dir, `${x}${i}.wsp`));
      const agg = aggregationMethods[i % 8];
      for (const [mine, ref] of [
        [a, ra],
        [b, rb],
      ]) {
        create(mine, archives, { aggregationMethod: agg, xFilesFactor: 0 });
        ops.push({ op: 'create', path: ref, archives: archives.map((x) => [x.secondsPerPoint, x.points]), xff: 0, agg });
      }
      const maxRet = Math.max(...archives.map((x) => x.secondsPerPoint * x.points));
      for (const [mine, ref] of [
        [a, ra],
        [b, rb],
      ]) {
        const pts: Array<[number, number]> = [];
        for (let j = 0; j < 60; j++) pts.push([now - Math.floor(r() * maxRet), Math.round(r() * 100)]);
        if (i === 3 && mine === a) pts.push([now - 60, Number.NaN]);
        updateMany(mine, pts, { now });
        ops.push({ op: 'update_many', path: ref, points: pts.map(([t, v]) => [t, enc(v)]), now });
      }
      pairs.push([a, b, ra, rb]);
    }
    assert.ok(replayEach(ops).every((x) => x.ok));
    // diff before merging (both ignoreEmpty modes and an until time), computed by both sides
    const queries: unknown[][] = [];
    const ours: unknown[] = [];
    for (const [a, b, ra, rb] of pairs) {
      for (const [ignore, until] of [
        [false, null],
        [true, null],
        [false, now - 3000],
      ] as const) {
        queries.push(['diff', ra, rb, ignore, until, now]);
        ours.push(
          diff(a, b, { ignoreEmpty: ignore, untilTime: until ?? undefined, now }).map((d) => [
            d.archive,
            d.diffs.map((p) => [p.timestamp, p.a, p.b]),
            d.total,
          ]),
        );
      }
    }
    const theirs = batch(queries) as Array<Array<[number, Array<[number, unknown, unknown]>, number]>>;
    theirs.forEach((t, k) => {
      const expected = t.map(([n, d, total]) => [n, d.map(([ts, x, y]) => [ts, dec(x), dec(y)]), total]);
      assert.deepEqual(ours[k], expected, `diff ${JSON.stringify(queries[k])}`);
    });
    assert.ok(
      theirs.some((t) => t.some(([, d]) => d.length > 0)),
      'some diffs are non-empty',
    );
    // merge a into b on both sides
    const mergeOps: OracleOp[] = [];
    for (const [a, b, ra, rb] of pairs) {
      merge(a, b, { now });
      mergeOps.push({ op: 'merge', from: ra, to: rb, now });
    }
    assert.ok(replayEach(mergeOps).every((x) => x.ok));
    for (const [, b, , rb] of pairs) {
      const mine = fs.readFileSync(b);
      if (!mine.equals(fs.readFileSync(rb))) assert.deepEqual(contentOf(b), contentOf(rb), `${b} after merge`);
    }
  });
});
