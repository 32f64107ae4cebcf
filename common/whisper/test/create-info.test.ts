import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  type AggregationMethod,
  aggregationMethods,
  CorruptWhisperFileError,
  create,
  fetch,
  InvalidAggregationMethodError,
  InvalidConfigurationError,
  InvalidXFilesFactorError,
  info,
  setAggregationMethod,
  setXFilesFactor,
  update,
  updateMany,
  WhisperError,
} from '../index.js';
import { batch, NOW, STD, spec, tempDir } from './helpers.js';

const dir = tempDir();
let n = 0;
const file = () => path.join(dir, `f${n++}.wsp`);

describe('create', () => {
  it('writes the documented header for 60s:1d 5m:30d 1h:1y (whisper.md §2 worked example)', () => {
    const f = file();
    create(f, STD);
    const b = fs.readFileSync(f);
    assert.equal(b.length, 226132);
    assert.equal(
      b.subarray(0, 52).toString('hex'),
      '0000000101e133803f00000000000003' + '000000340000003c000005a0' + '000043b40000012c000021c0' + '0001d8b400000e1000002238',
    );
    assert.ok(b.subarray(52).every((x) => x === 0));
  });

  it("sorts archives by precision without touching the caller's list", () => {
    const f = file();
    const list = [spec(3600, 24), spec(60, 60)];
    create(f, list);
    assert.deepEqual(list, [spec(3600, 24), spec(60, 60)]);
    assert.deepEqual(
      info(f).archives.map((a) => a.secondsPerPoint),
      [60, 3600],
    );
  });

  it('stores every aggregation method and xff as the reference reads them', () => {
    const files = aggregationMethods.map((m, i) => {
      const f = file();
      create(f, [spec(60, 60), spec(300, 60)], { aggregationMethod: m, xFilesFactor: [0, 0.1, 0.3, 0.5, 0.75, 1, 0.42, 0.2][i] });
      return f;
    });
    const ref = batch(files.map((f) => ['info', f])) as Array<Record<string, unknown>>;
    files.forEach((f, i) => {
      const mine = info(f);
      assert.equal(mine.aggregationMethod, aggregationMethods[i]);
      assert.equal(ref[i].aggregationMethod, aggregationMethods[i]);
      assert.equal(ref[i].xFilesFactor, mine.xFilesFactor); // float32 widened, e.g. 0.30000001192092896
      assert.equal(ref[i].fileSize, mine.fileSize);
      assert.deepEqual(
        ref[i].archives,
        mine.archives.map((a) => ({ ...a })),
      );
    });
    assert.equal(info(files[2]).xFilesFactor, 0.30000001192092896);
  });

  it('sparse files have the same bytes', () => {
    const a = file();
    const b = file();
    create(a, STD);
    create(b, STD, { sparse: true });
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)));
  });

  const bad: Array<[string, () => void, new (...a: never[]) => Error, RegExp]> = [
    ['empty archive list', () => create(file(), []), InvalidConfigurationError, /at least one archive/],
    ['bad archive list', () => create(file(), [spec(60, 60), spec(90, 60)]), InvalidConfigurationError, /evenly divide/],
    [
      'unknown method',
      () => create(file(), STD, { aggregationMethod: 'median' as AggregationMethod }),
      InvalidAggregationMethodError,
      /^Unrecognized aggregation method: median$/,
    ],
    [
      'xff above 1',
      () => create(file(), STD, { xFilesFactor: 2 }),
      InvalidXFilesFactorError,
      /^Invalid xFilesFactor 2\.0, not between 0 and 1$/,
    ],
    [
      'negative xff',
      () => create(file(), STD, { xFilesFactor: -1 }),
      InvalidXFilesFactorError,
      /^Invalid xFilesFactor -1\.0, not between 0 and 1$/,
    ],
    [
      'NaN xff',
      () => create(file(), STD, { xFilesFactor: Number.NaN }),
      InvalidXFilesFactorError,
      /^Invalid xFilesFactor NaN, not a float$/,
    ],
  ];
  for (const [name, fn, cls, message] of bad) {
    it(`rejects ${name} and leaves no file behind`, () => {
      const before = fs.readdirSync(dir).length;
      assert.throws(fn, (e: unknown) => e instanceof cls && message.test((e as Error).message));
      assert.equal(fs.readdirSync(dir).length, before);
    });
  }

  it('refuses to overwrite an existing file', () => {
    const f = file();
    create(f, STD);
    update(f, 5, NOW - 60, { now: NOW });
    const bytes = fs.readFileSync(f);
    assert.throws(
      () => create(f, [spec(60, 10)]),
      (e: unknown) => e instanceof InvalidConfigurationError && e.message === `File ${f} already exists!` && e.path === f,
    );
    assert.ok(fs.readFileSync(f).equals(bytes));
  });

  it('reports a missing directory with the path and errno', () => {
    const f = path.join(dir, 'no', 'such', 'x.wsp');
    assert.throws(
      () => create(f, STD),
      (e: unknown) => e instanceof WhisperError && e.path === f && e.code === 'ENOENT',
    );
  });
});

describe('info', () => {
  it('returns the header, derived fields and file size', () => {
    const f = file();
    create(f, [spec(1, 60), spec(60, 60), spec(3600, 24), spec(86400, 365)], { xFilesFactor: 0, aggregationMethod: 'sum' });
    assert.deepEqual(info(f), {
      aggregationMethod: 'sum',
      maxRetention: 86400 * 365,
      xFilesFactor: 0,
      archives: [
        { offset: 64, secondsPerPoint: 1, points: 60, retention: 60, size: 720 },
        { offset: 784, secondsPerPoint: 60, points: 60, retention: 3600, size: 720 },
        { offset: 1504, secondsPerPoint: 3600, points: 24, retention: 86400, size: 288 },
        { offset: 1792, secondsPerPoint: 86400, points: 365, retention: 31536000, size: 4380 },
      ],
      fileSize: 6172,
    });
  });
  it('throws for a missing file (divergence: the reference returns None)', () => {
    const f = path.join(dir, 'missing.wsp');
    assert.throws(
      () => info(f),
      (e: unknown) => e instanceof WhisperError && e.code === 'ENOENT' && e.path === f,
    );
  });
});

describe('setAggregationMethod / setXFilesFactor', () => {
  it('returns the old value and rewrites only the metadata', () => {
    for (const m of aggregationMethods) {
      for (const xff of [0, 0.2, 0.4, 0.7, 0.75, 1]) {
        const f = file();
        create(f, [spec(60, 60), spec(300, 60)]);
        const before = fs.readFileSync(f);
        assert.equal(setAggregationMethod(f, m, xff), 'average');
        const i = info(f);
        assert.equal(i.aggregationMethod, m);
        assert.equal(i.xFilesFactor, Math.fround(xff));
        assert.ok(fs.readFileSync(f).subarray(16).equals(before.subarray(16)));
        assert.equal(setAggregationMethod(f, 'last'), m);
        assert.equal(info(f).xFilesFactor, Math.fround(xff), 'xff kept when not passed');
        fs.rmSync(f);
      }
    }
  });
  it('setXFilesFactor stores float32 and returns the old value', () => {
    const f = file();
    create(f, STD, { xFilesFactor: 0.3 });
    assert.equal(setXFilesFactor(f, 0.42), 0.30000001192092896);
    assert.equal(info(f).xFilesFactor, Math.fround(0.42));
    assert.equal(info(f).aggregationMethod, 'average');
  });
  const bad: Array<[string, (f: string) => void, RegExp]> = [
    ['unknown method', (f) => setAggregationMethod(f, 'yummy beer' as AggregationMethod), /^Unrecognized aggregation method: yummy beer$/],
    ['xff 2', (f) => setXFilesFactor(f, 2), /^Invalid xFilesFactor 2\.0, not between 0 and 1$/],
    ['xff -1', (f) => setAggregationMethod(f, 'max', -1), /^Invalid xFilesFactor -1\.0, not between 0 and 1$/],
    ['xff "zero"', (f) => setXFilesFactor(f, 'zero' as unknown as number), /^Invalid xFilesFactor zero, not a float$/],
  ];
  for (const [name, fn, message] of bad) {
    it(`rejects ${name} without writing`, () => {
      const f = file();
      create(f, STD);
      const before = fs.readFileSync(f);
      assert.throws(
        () => fn(f),
        (e: unknown) => e instanceof WhisperError && message.test(e.message),
      );
      assert.ok(fs.readFileSync(f).equals(before));
    });
  }
});

/** Mutators for corrupt-file cases: set a big-endian field and return the buffer. */
const set32 = (offset: number, v: number) => (b: Buffer) => {
  b.writeUInt32BE(v, offset);
  return b;
};
const setF32 = (offset: number, v: number) => (b: Buffer) => {
  b.writeFloatBE(v, offset);
  return b;
};

describe('corrupt and truncated files', () => {
  it('a large file truncated in its data area is detected before any write', () => {
    const f = file();
    create(f, STD);
    fs.truncateSync(f, 100000);
    const before = fs.readFileSync(f);
    const reason = "Archive 1 (offset 17332, 103680 bytes) does not lie within the file's data area (52..100000)";
    for (const op of [() => update(f, 1, NOW, { now: NOW }), () => updateMany(f, [[NOW, 1]], { now: NOW }), () => info(f)]) {
      assert.throws(op, (e: unknown) => e instanceof CorruptWhisperFileError && e.error === reason && e.path === f);
    }
    assert.ok(fs.readFileSync(f).equals(before));
  });

  function damaged(mutate: (b: Buffer) => Buffer): string {
    const f = file();
    create(f, [spec(60, 60), spec(300, 60)]);
    fs.writeFileSync(f, mutate(fs.readFileSync(f)));
    return f;
  }
  const cases: Array<[string, (b: Buffer) => Buffer, string]> = [
    ['empty file', () => Buffer.alloc(0), 'Unable to read header'],
    ['short metadata', (b) => b.subarray(0, 10), 'Unable to read header'],
    ['aggregation type 0', set32(0, 0), 'Unable to read header'],
    ['aggregation type 9', set32(0, 9), 'Unable to read header'],
    ['NaN xff', setF32(8, Number.NaN), 'Unable to read header'],
    ['xff 1.5', setF32(8, 1.5), 'Unable to read header'],
    ['no archives', set32(12, 0), 'Unable to read header: no archives'],
    ['truncated archive info', (b) => b.subarray(0, 30), 'Unable to read archive1 metadata'],
    ['huge archive count', set32(12, 0xffffffff), 'Unable to read archive122 metadata'],
    [
      'truncated data',
      (b) => b.subarray(0, b.length - 12),
      "Archive 1 (offset 760, 720 bytes) does not lie within the file's data area (40..1468)",
    ],
    ['zero points', set32(24, 0), 'Archive 0 has 0 seconds per point or 0 points'],
    ['unordered archives', set32(32, 7), "Archive 1 precision 7s is not a multiple of the previous archive's 60s"],
    ['wrong max retention', set32(4, 5), 'Header says max retention 5 but the archives cover 18000 seconds'],
    ['overlapping archives', set32(28, 100), 'Archive 1 (offset 100) overlaps the header or the previous archive'],
  ];
  for (const [name, mutate, reason] of cases) {
    it(`${name}: every operation raises CorruptWhisperFileError naming the file, and nothing is written`, () => {
      const f = damaged(mutate);
      const before = fs.readFileSync(f);
      const ops: Array<() => unknown> = [
        () => info(f),
        () => update(f, 1, NOW, { now: NOW }),
        () =>
          updateMany(
            f,
            [
              [NOW, 1],
              [NOW - 60, 2],
            ],
            { now: NOW },
          ),
        () => fetch(f, NOW - 600, NOW, { now: NOW }),
        () => setAggregationMethod(f, 'max'),
        () => setXFilesFactor(f, 0.1),
      ];
      for (const op of ops) {
        assert.throws(
          op,
          (e: unknown) => e instanceof CorruptWhisperFileError && e.path === f && e.error === reason && e.message === `${reason} (${f})`,
        );
      }
      assert.ok(fs.readFileSync(f).equals(before));
    });
  }
});
