/** Text renderings used by the CLI, mirroring the whisper-* tools' output. */
import { pyFloatRepr, pyFormatF, pyFormatG } from './pyfmt.js';
import type { ArchiveDiff, FetchResult, WhisperInfo } from './types.js';

/** Python's "%f" (6 decimals; nan/inf spelled like Python). */
export function pyFixed6(x: number): string {
  return pyFormatF(x, 6);
}

/** Python's "%10.35g", which whisper-dump uses so every double round-trips. */
export function pyG35(x: number): string {
  return pyFormatG(x, 35).padStart(10, ' ');
}

/** Strict JSON number: non-finite values become null (JSON has no NaN or Infinity). */
export function jsonValue(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : v;
}

export function fetchText(r: FetchResult): string {
  const lines: string[] = [];
  r.values.forEach((v, i) => {
    lines.push(`${r.start + i * r.step}\t${v === null ? 'None' : pyFixed6(v)}`);
  });
  return lines.join('\n');
}

export function fetchJson(r: FetchResult): string {
  return JSON.stringify({ start: r.start, end: r.end, step: r.step, values: r.values.map(jsonValue) });
}

export function infoText(i: WhisperInfo): string {
  const out = [
    `aggregationMethod: ${i.aggregationMethod}`,
    `maxRetention: ${i.maxRetention}`,
    `xFilesFactor: ${pyFloatRepr(i.xFilesFactor)}`,
    `fileSize: ${i.fileSize}`,
    '',
  ];
  i.archives.forEach((a, n) => {
    out.push(`Archive ${n}`);
    for (const k of ['offset', 'secondsPerPoint', 'points', 'retention', 'size'] as const) out.push(`${k}: ${a[k]}`);
    out.push('');
  });
  return out.join('\n');
}

export function infoField(i: WhisperInfo, field: string): string {
  const v = (i as unknown as Record<string, unknown>)[field];
  if (field === 'xFilesFactor') return pyFloatRepr(i.xFilesFactor);
  return typeof v === 'object' ? JSON.stringify(v, null, 2) : String(v);
}

function pyStr(v: number | null): string {
  return v === null ? 'None' : pyFloatRepr(v);
}

/** whisper-diff's default ("pretty") or --columns layout. */
export function diffText(diffs: ArchiveDiff[], columns: boolean, headers: boolean): string {
  const out: string[] = [];
  const row = (a: string, b: string, c: string, d: string) =>
    columns ? `${a} ${b} ${c} ${d}` : `${a.padStart(7)} ${b.padStart(11)} ${c.padStart(13)} ${d.padStart(13)}`;
  if (headers) out.push(row('archive', 'timestamp', 'value_a', 'value_b'));
  for (const d of diffs) {
    if (!columns) {
      out.push(`Archive ${d.archive} (${d.diffs.length} of ${d.total} datapoints differ)`);
      out.push(row('', 'timestamp', 'value_a', 'value_b'));
    }
    for (const p of d.diffs) out.push(row(columns ? String(d.archive) : '', String(p.timestamp), pyStr(p.a), pyStr(p.b)));
  }
  return out.join('\n');
}

export function diffSummaryText(diffs: ArchiveDiff[], columns: boolean, headers: boolean): string {
  const row = (a: string, b: string, c: string) => (columns ? `${a} ${b} ${c}` : `${a.padStart(7)} ${b.padStart(9)} ${c.padStart(9)}`);
  const out: string[] = [];
  if (headers) out.push(row('archive', 'total', 'differing'));
  for (const d of diffs) out.push(row(String(d.archive), String(d.total), String(d.diffs.length)));
  return out.join('\n');
}

export function diffJson(diffs: ArchiveDiff[], a: string, b: string, summary: boolean): string {
  return JSON.stringify(
    {
      path_a: a,
      path_b: b,
      archives: diffs.map((d) => ({
        archive: d.archive,
        total: d.total,
        points: d.diffs.length,
        ...(summary
          ? {}
          : { datapoint: d.diffs.map((p) => ({ timestamp: p.timestamp, value_a: jsonValue(p.a), value_b: jsonValue(p.b) })) }),
      })),
    },
    null,
    2,
  );
}
