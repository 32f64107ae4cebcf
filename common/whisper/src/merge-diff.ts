/** merge() and diff() of two files with the same archive layout (reference: file_merge, file_diff). */
import { currentTime } from './api.js';
import { InvalidConfigurationError, InvalidTimeIntervalError } from './errors.js';
import { archiveFetch } from './fetch.js';
import { type ArchiveHeader, type OpenFile, readHeader } from './header.js';
import { closeFile, openFile } from './io.js';
import type { ArchiveDiff, DiffPoint } from './types.js';
import { archiveUpdateMany, loadPoints } from './update.js';

function open(path: string, flags: 'r' | 'r+'): OpenFile {
  const fd = openFile(path, flags);
  try {
    return { fd, path, header: readHeader({ fd, path }) };
  } catch (e) {
    closeFile(fd);
    throw e;
  }
}

function sameLayout(a: OpenFile, b: OpenFile, verb: string): void {
  const x = a.header.archives;
  const y = b.header.archives;
  const same =
    x.length === y.length &&
    x.every((p, i) => p.offset === y[i].offset && p.secondsPerPoint === y[i].secondsPerPoint && p.points === y[i].points);
  if (!same) {
    // The reference raises NotImplementedError with this message.
    throw new InvalidConfigurationError(`${a.path} and ${b.path} archive configurations are unalike. Resize the input before ${verb}`, {
      path: b.path,
    });
  }
}

/** Archive indexes in order of increasing retention (the reference's processing order). */
function byRetention(archives: ArchiveHeader[]): number[] {
  return archives.map((_, i) => i).sort((i, j) => archives[i].retention - archives[j].retention || i - j);
}

/**
 * Copies every value of `from` in [timeFrom, timeTo] into `to`, archive by archive
 * (overwriting, then propagating into `to`'s lower archives). Divergence: timeTo is
 * clamped to now (the reference reads a range longer than the archive and drops points).
 */
export function merge(from: string, to: string, opts: { timeFrom?: number; timeTo?: number; now?: number } = {}): void {
  const src = open(from, 'r');
  try {
    const dst = open(to, 'r+');
    try {
      sameLayout(src, dst, 'merging');
      const now = opts.now ?? currentTime();
      const untilTime = Math.min(opts.timeTo ?? now, now);
      const fromTime = opts.timeFrom ?? 0;
      if (untilTime < fromTime) {
        throw new InvalidTimeIntervalError(`time_to must be >= time_from (from ${fromTime}, to ${untilTime})`, { path: to });
      }
      for (const ai of byRetention(src.header.archives)) {
        const a = src.header.archives[ai];
        const oldest = now - a.retention;
        if (untilTime < oldest) continue;
        const r = archiveFetch(src, a, Math.max(fromTime, oldest), untilTime);
        const ts: number[] = [];
        const vs: number[] = [];
        r.values.forEach((v, i) => {
          if (v !== null) {
            ts.push(r.start + i * r.step);
            vs.push(v);
          }
        });
        if (ts.length === 0) continue;
        loadPoints(ts, vs, ts.length);
        archiveUpdateMany(dst, ai, 0, ts.length);
      }
    } finally {
      closeFile(dst.fd);
    }
  } finally {
    closeFile(src.fd);
  }
}

/**
 * Compares two files archive by archive (by increasing retention), each archive over
 * [now - retention, until) where `until` then moves back to that archive's start.
 * Divergence: untilTime is clamped to now (the reference raises IndexError beyond it).
 */
export function diff(a: string, b: string, opts: { ignoreEmpty?: boolean; untilTime?: number; now?: number } = {}): ArchiveDiff[] {
  const fa = open(a, 'r');
  try {
    const fb = open(b, 'r');
    try {
      sameLayout(fa, fb, 'diffing');
      const now = opts.now ?? currentTime();
      let untilTime = opts.untilTime ? Math.min(opts.untilTime, now) : now;
      const result: ArchiveDiff[] = [];
      byRetention(fa.header.archives).forEach((ai, n) => {
        const arc = fa.header.archives[ai];
        const startTime = now - arc.retention;
        const diffs: DiffPoint[] = [];
        let total = 0;
        if (untilTime >= startTime) {
          const ra = archiveFetch(fa, arc, startTime, untilTime);
          const rb = archiveFetch(fb, fb.header.archives[ai], startTime, untilTime);
          const count = (ra.end - ra.start) / ra.step;
          for (let i = 0; i < count; i++) {
            const va = ra.values[i] ?? null;
            const vb = rb.values[i] ?? null;
            if (opts.ignoreEmpty ? va === null || vb === null : va === null && vb === null) continue;
            total++;
            // NaN !== NaN, so a NaN always counts as a difference, as in Python.
            if (va !== vb) diffs.push({ timestamp: ra.start + i * ra.step, a: va, b: vb });
          }
        }
        result.push({ archive: n, total, diffs });
        untilTime = Math.min(startTime, untilTime);
      });
      return result;
    } finally {
      closeFile(fb.fd);
    }
  } finally {
    closeFile(fa.fd);
  }
}
