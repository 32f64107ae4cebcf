/** Shared test helpers: temp dirs, the python3-whisper oracle (batched), file comparisons. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ORACLE = path.join(HERE, 'oracle', 'whisper_oracle.py');
export const REPO = path.resolve(HERE, '..', '..', '..');
export const NOW = 1700000000;

export const spec = (secondsPerPoint: number, points: number) => ({ secondsPerPoint, points });
export const STD = [spec(60, 1440), spec(300, 8640), spec(3600, 8760)];

/** A fresh temp dir, removed when the process exits. */
export function tempDir(prefix = 'whisper-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let seq = 0;
function oracle(cmd: string, payload: unknown): unknown {
  const file = path.join(os.tmpdir(), `whisper-oracle-${process.pid}-${seq++}.json`);
  fs.writeFileSync(file, JSON.stringify(payload));
  try {
    const out = execFileSync('/usr/bin/python3', [ORACLE, cmd, file], { maxBuffer: 1 << 30 }).toString();
    return JSON.parse(out);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export type OracleOp = Record<string, unknown> & { op: string };
/** Applies ops with python3-whisper; per-op result {ok:true} or {error, message}. */
export const replayEach = (ops: OracleOp[]) => oracle('replay_each', ops) as Array<{ ok?: true; error?: string; message?: string }>;
/** Runs read queries with python3-whisper in one process. */
export const batch = (queries: unknown[][]) => oracle('batch', queries) as unknown[];
export const setOrder = (lists: number[][]) => oracle('setorder', lists) as number[][];

/** Decodes the oracle's "NaN"/"Infinity" strings. */
export function dec(v: unknown): number | null {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v as number | null;
}

/** Encodes non-finite numbers the way the oracle reads them. */
export function enc(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/** Per archive, the stored [ts, value] records with ts != 0, sorted: equal for files equal up to ring rotation. */
export function contentOf(file: string): string[][] {
  const b = fs.readFileSync(file);
  const count = b.readUInt32BE(12);
  const out: string[][] = [];
  for (let i = 0; i < count; i++) {
    const offset = b.readUInt32BE(16 + i * 12);
    const points = b.readUInt32BE(24 + i * 12);
    const recs: string[] = [];
    for (let p = 0; p < points; p++) {
      const o = offset + p * 12;
      const ts = b.readUInt32BE(o);
      if (ts !== 0) recs.push(`${ts}:${b.subarray(o + 4, o + 12).toString('hex')}`);
    }
    out.push(recs.sort());
  }
  return out;
}

/** Seeded PRNG (mulberry32) so randomized workloads are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
