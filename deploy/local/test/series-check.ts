import { pythonFetchMany } from '../../../common/testing/python-whisper.js';
import { hostDirectory, seriesFile } from '../../../services/storage/src/files/layout.js';
import type { Observer } from './fixtures.js';

/**
 * Compares what was published (the observer's copy) with what the reference reads
 * back from the `.wsp` file: every published point stored with its value, none extra.
 */
export interface SeriesReport {
  series: string;
  expected: number;
  stored: number;
  missing: number[];
  wrong: Array<{ timestamp: number; published: number | null; stored: number }>;
}

export function seriesPath(wspDir: string, hostId: string, plugin: string, ds: string): string {
  return seriesFile(hostDirectory(wspDir, hostId, 2), plugin, ds);
}

export function compareSeries(
  observer: Observer,
  wspDir: string,
  hostId: string,
  plugin: string,
  ds: string,
  from: number,
  until: number,
): SeriesReport {
  const published = new Map<number, number | null>();
  for (const [ts, value] of observer.series(hostId, plugin, ds)) {
    const second = Math.floor(ts);
    if (second >= from && second <= until && value !== null) published.set(second, value);
  }
  const file = seriesPath(wspDir, hostId, plugin, ds);
  const stored = new Map((pythonFetchMany([file], from - 1, until + 1)[file] ?? []).map(([t, v]) => [t, v]));
  const report: SeriesReport = { series: `${hostId}/${plugin}/${ds}`, expected: published.size, stored: 0, missing: [], wrong: [] };
  for (const [ts, value] of published) {
    const got = stored.get(ts);
    if (got === undefined) report.missing.push(ts);
    else if (value !== null && Math.abs(got - value) > 1e-9 * Math.max(1, Math.abs(value)))
      report.wrong.push({ timestamp: ts, published: value, stored: got });
  }
  report.stored = [...stored.keys()].filter((t) => t >= from && t <= until).length;
  return report;
}

export function describe(report: SeriesReport): string {
  return `${report.series}: points expected ${report.expected}, stored ${report.stored}, missing ${report.missing.length}${report.missing.length ? ` (${report.missing.slice(0, 5).join(',')}…)` : ''}, wrong ${report.wrong.length}`;
}
