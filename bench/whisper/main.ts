/**
 * Whisper write benchmark: our library against python3-whisper 1.1.4 on the same workload,
 * in the same run. 1000 files with retention 60s:1d,5m:30d,1h:1y; 100 consecutive minutes
 * per file written (a) as 100k single-point updates round-robin over the files, (b) as
 * update-many batches of 10 points, (c) batches of 100. Each phase starts from fresh files;
 * `now` is fixed at the last minute. Each phase is run REPS times alternating ours and the
 * reference (which side goes first alternates), after one untimed warm-up of our side so the
 * JIT has compiled the write path (Python has no JIT to warm). Printed per phase: median and
 * best wall-clock rates, and the median rate per CPU-second (user + system time of the writing
 * process, which other load on a shared machine disturbs much less than wall-clock time), plus
 * the load average. A sample of files is compared byte for byte to prove both sides did the
 * same work. Temp files go under os.tmpdir() (set TMPDIR to move them).
 * Env: WHISPER_BENCH_FILES (1000), WHISPER_BENCH_REPS (3).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, parseRetentionDefs, update, WhisperWriter } from '../../common/whisper/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FILES = Number(process.env.WHISPER_BENCH_FILES ?? 1000);
const REPS = Number(process.env.WHISPER_BENCH_REPS ?? 3);
const MINUTES = 100;
const T0 = 1699999200; // a whole hour
const NOW = T0 + (MINUTES - 1) * 60;
const ARCHIVES = parseRetentionDefs('60s:1d,5m:30d,1h:1y');

type Phase = 'update' | 'update-path' | 'many10' | 'many100';
interface Result {
  createS: number;
  /** Wall-clock seconds of the measured phase. */
  opsS: number;
  /** CPU seconds (user + system) the process spent in the phase: less sensitive to other load. */
  cpuS: number;
  points: number;
}

const value = (i: number, m: number) => ((i * 7 + m) % 1000) / 10;
const paths = (dir: string) => Array.from({ length: FILES }, (_, i) => path.join(dir, `m${String(i).padStart(4, '0')}.wsp`));

function runOurs(phase: Phase, dir: string, count = FILES): Result {
  const files = paths(dir).slice(0, count);
  const n = files.length;
  let t = performance.now();
  for (const f of files) create(f, ARCHIVES);
  const createS = (performance.now() - t) / 1000;
  const w = new WhisperWriter({ maxOpenFiles: n + 10, now: () => NOW });
  t = performance.now();
  const cpu = process.cpuUsage();
  if (phase === 'update') {
    for (let m = 0; m < MINUTES; m++) {
      const ts = T0 + m * 60;
      for (let i = 0; i < n; i++) w.update(files[i], value(i, m), ts);
    }
  } else if (phase === 'update-path') {
    // The path-based API: open, read header, write, close on every call, like the reference.
    for (let m = 0; m < MINUTES; m++) {
      const ts = T0 + m * 60;
      for (let i = 0; i < n; i++) update(files[i], value(i, m), ts, { now: NOW });
    }
  } else {
    const size = phase === 'many10' ? 10 : 100;
    const batch: Array<[number, number]> = Array.from({ length: size }, () => [0, 0]);
    for (let b = 0; b < MINUTES / size; b++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < size; j++) {
          batch[j][0] = T0 + (b * size + j) * 60;
          batch[j][1] = value(i, b * size + j);
        }
        w.updateMany(files[i], batch);
      }
    }
  }
  const opsS = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  w.close();
  return { createS, opsS, cpuS: (used.user + used.system) / 1e6, points: MINUTES * n };
}

function runRef(phase: Phase, dir: string): Result {
  const refPhase = phase === 'update-path' ? 'update' : phase;
  const out = execFileSync('/usr/bin/python3', [path.join(HERE, 'bench_ref.py'), refPhase, dir, String(FILES), String(T0)]);
  const r = JSON.parse(out.toString()) as { create_s: number; ops_s: number; cpu_s: number; points: number };
  return { createS: r.create_s, opsS: r.ops_s, cpuS: r.cpu_s, points: r.points };
}

function sameBytes(a: string, b: string): number {
  const fa = paths(a);
  const fb = paths(b);
  let mismatches = 0;
  for (let i = 0; i < FILES; i += Math.max(1, Math.floor(FILES / 25))) {
    if (!fs.readFileSync(fa[i]).equals(fs.readFileSync(fb[i]))) mismatches++;
  }
  return mismatches;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'numeter-bench-whisper-'));
const rows: string[] = [];
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
console.log(`whisper bench: ${FILES} files, ${REPS} runs per phase, ${os.cpus().length} CPUs, temp dir ${root}, load average ${load()}`);
try {
  const total = `${(FILES * MINUTES) / 1000}k`;
  const phases: Array<[Phase, string]> = [
    ['update', `${total} single-point updates, WhisperWriter (handles cached)`],
    ['update-path', `${total} single-point updates, path-based update()`],
    ['many10', 'update-many, 10 points per call'],
    ['many100', 'update-many, 100 points per call'],
  ];
  // Untimed warm-up of our side on a few files, every phase.
  for (const [phase] of phases) {
    const dir = fs.mkdtempSync(path.join(root, 'warmup-'));
    runOurs(phase, dir, Math.min(FILES, 100));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const creates: number[] = [];
  const refCreates: number[] = [];
  for (const [phase, label] of phases) {
    const ours: number[] = [];
    const refs: number[] = [];
    const oursCpu: number[] = [];
    const refsCpu: number[] = [];
    let mismatches = 0;
    for (let rep = 0; rep < REPS; rep++) {
      const a = fs.mkdtempSync(path.join(root, 'ours-'));
      const b = fs.mkdtempSync(path.join(root, 'ref-'));
      let o: Result;
      let r: Result;
      if (rep % 2 === 0) {
        o = runOurs(phase, a);
        r = runRef(phase, b);
      } else {
        r = runRef(phase, b);
        o = runOurs(phase, a);
      }
      ours.push(o.points / o.opsS);
      refs.push(r.points / r.opsS);
      oursCpu.push(o.points / o.cpuS);
      refsCpu.push(r.points / r.cpuS);
      creates.push(o.createS);
      refCreates.push(r.createS);
      mismatches += sameBytes(a, b);
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
    const o = median(ours);
    const r = median(refs);
    const ob = Math.max(...ours);
    const rb = Math.max(...refs);
    const oc = median(oursCpu);
    const rc = median(refsCpu);
    const same = mismatches === 0 ? 'yes' : `NO (${mismatches} files differ)`;
    rows.push(
      `| ${label} | ${fmt(o)} | ${fmt(r)} | ${(o / r).toFixed(2)}x | ${fmt(ob)} | ${fmt(rb)} | ${(ob / rb).toFixed(2)}x | ` +
        `${fmt(oc)} | ${fmt(rc)} | ${(oc / rc).toFixed(2)}x | ${same} |`,
    );
    console.log(
      `${phase.padEnd(12)} median: ours ${fmt(o).padStart(9)} /s, python3-whisper ${fmt(r).padStart(9)} /s, ratio ${(o / r).toFixed(2)}x` +
        ` | best: ${fmt(ob)} vs ${fmt(rb)}, ${(ob / rb).toFixed(2)}x | per CPU-second: ${fmt(oc)} vs ${fmt(rc)}, ${(oc / rc).toFixed(2)}x` +
        ` | same bytes: ${same}`,
    );
  }
  console.log(
    `create ${FILES} files: ours ${median(creates).toFixed(3)} s, python3-whisper ${median(refCreates).toFixed(3)} s (median of ${creates.length})`,
  );
  console.log(`load average at the end: ${load()}`);
  console.log(
    `\n| Workload (${FILES} files, ${REPS} runs) | numeter median pts/s | python3-whisper median | ratio | numeter best | python3-whisper best | ratio | numeter pts/CPU-s | python3-whisper pts/CPU-s | ratio | same bytes |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
