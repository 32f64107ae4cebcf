import { pyFloat } from './pyformat.js';
import { isNone, type Series, type Value } from './series.js';

/**
 * What /render sends once the functions ran: maxDataPoints consolidation with
 * graphite-web's "nudge" (renderViewJson), then the json, csv or raw text.
 */
export function applyMaxDataPoints(list: Series[], maxDataPoints: number): void {
  if (list.length === 0) return;
  const startTime = Math.min(...list.map((s) => s.start));
  const endTime = Math.max(...list.map((s) => s.end));
  const timeRange = endTime - startTime;
  for (const s of list) {
    if (maxDataPoints === 1) {
      s.valuesPerPoint = Math.max(1, s.data.length);
      continue;
    }
    const points = timeRange / s.step;
    if (maxDataPoints >= points) continue;
    const perPoint = Math.ceil(points / maxDataPoints);
    const secondsPerPoint = Math.trunc(perPoint * s.step);
    // Buckets aligned on multiples of their width, so a refreshing graph keeps them; graphite-web
    // moves start by `nudge` but drops one value fewer than that, and so does this.
    const nudge = secondsPerPoint + pyMod(s.start, s.step) - pyMod(s.start, secondsPerPoint);
    s.start += nudge;
    const valuesToLose = Math.trunc(nudge / s.step);
    if (valuesToLose > 1) s.data = s.data.subarray(valuesToLose - 1);
    s.valuesPerPoint = perPoint;
  }
}

export interface JsonSeries {
  target: string;
  tags: Record<string, string>;
  datapoints: Array<[Value, number]>;
}

/** datapoints(): consolidated values zipped with range(start, end + 1, step × valuesPerPoint). */
export function datapoints(s: Series): Array<[Value, number]> {
  const values = s.points();
  const width = s.step * s.valuesPerPoint;
  const out: Array<[Value, number]> = [];
  for (let i = 0, t = s.start; i < values.length && t <= s.end; i++, t += width) {
    const v = values[i];
    out.push([Number.isFinite(v) ? v : null, t]);
  }
  return out;
}

export function toJson(list: Series[], noNullPoints: boolean): JsonSeries[] {
  const out: JsonSeries[] = [];
  for (const s of list) {
    let points = datapoints(s);
    if (noNullPoints) {
      points = points.filter(([v]) => v !== null);
      if (points.length === 0) continue;
    }
    out.push({ target: s.name, tags: { ...s.tags }, datapoints: points });
  }
  return out;
}

/**
 * The text of `JSON.stringify(toJson(list))` with express's `json escape` (<, > and & as
 * \u003c…), written straight from the values: no [value, time] pair array per point (a
 * million of them for 1,000 series × 1 day), only the output string.
 */
export function toJsonText(list: Series[], noNullPoints: boolean): string {
  const parts: string[] = [];
  for (const s of list) {
    const values = s.points();
    const width = s.step * s.valuesPerPoint;
    const points: string[] = [];
    for (let i = 0, t = s.start; i < values.length && t <= s.end; i++, t += width) {
      const v = values[i];
      if (Number.isFinite(v)) points.push(`[${v},${t}]`);
      else if (!noNullPoints) points.push(`[null,${t}]`);
    }
    if (noNullPoints && points.length === 0) continue;
    parts.push(`{"target":${escapedJson(s.name)},"tags":${escapedJson({ ...s.tags })},"datapoints":[${points.join(',')}]}`);
  }
  return `[${parts.join(',')}]`;
}

function escapedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => (c === '<' ? '\\u003c' : c === '>' ? '\\u003e' : '\\u0026'));
}

/** renderViewCsv(): `name,YYYY-MM-DD HH:MM:SS,value` rows (UTC), excel dialect. */
export function toCsv(list: Series[]): string {
  let out = '';
  for (const s of list) {
    const name = csvField(s.name);
    s.points().forEach((v, i) => {
      const time = new Date((s.start + i * s.step) * 1000).toISOString().slice(0, 19).replace('T', ' ');
      out += `${name},${time},${isNone(v) ? '' : pyValue(v, s.integerValues)}\r\n`;
    });
  }
  return out;
}

/** renderViewRaw(): `name,start,end,step|v1,v2,…` per series, Python reprs (None for null). */
export function toRaw(list: Series[]): string {
  let out = '';
  for (const s of list) {
    const values = Array.from(s.points(), (v) => (isNone(v) ? 'None' : pyValue(v, s.integerValues)));
    out += `${s.name},${Math.trunc(s.start)},${Math.trunc(s.end)},${Math.trunc(s.step)}|${values.join(',')}\n`;
  }
  return out;
}

function pyValue(v: number, integer: boolean): string {
  return integer && Number.isInteger(v) ? String(v) : pyFloat(v);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function pyMod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
