import { JsonBytes } from './json-bytes.js';
import { pyFloat } from './pyformat.js';
import { isNone, type Series, type Value, type Values } from './series.js';

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
 * The bytes of `JSON.stringify(toJson(list))` with express's `json escape` (<, > and & as
 * \u003c…), written straight from the values (json-bytes.ts): no [value, time] pair array
 * nor string per point (a million of them for 1,000 series × 1 day).
 */
export function toJsonBytes(list: Series[], noNullPoints: boolean): Buffer {
  // A guess of the size (about 24 bytes a point) saves most of the copies as the buffer grows; capped, as it may be far off.
  const guess = list.reduce((n, s) => n + 24 * Math.ceil(s.data.length / s.valuesPerPoint) + 256, 0);
  const out = new JsonBytes(Math.min(guess, 8 * 1024 * 1024));
  out.byte(OPEN_LIST);
  let first = true;
  for (const s of list) {
    const values = s.points();
    const width = s.step * s.valuesPerPoint;
    if (noNullPoints && !hasPoint(s, values, width)) continue;
    out.text(`${first ? '' : ','}{"target":${escapedJson(s.name)},"tags":${escapedJson({ ...s.tags })},"datapoints":[`);
    first = false;
    let written = 0;
    for (let i = 0, t = s.start; i < values.length && t <= s.end; i++, t += width) {
      const v = values[i];
      const finite = Number.isFinite(v);
      if (!finite && noNullPoints) continue;
      if (written++ > 0) out.byte(COMMA);
      out.byte(OPEN_LIST);
      if (finite) out.number(v);
      else out.text('null');
      out.byte(COMMA);
      out.number(t);
      out.byte(CLOSE_LIST);
    }
    out.text(']}');
  }
  out.byte(CLOSE_LIST);
  return out.bytes();
}

const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;
const COMMA = 0x2c;

function hasPoint(s: Series, values: Values, width: number): boolean {
  for (let i = 0, t = s.start; i < values.length && t <= s.end; i++, t += width) if (Number.isFinite(values[i])) return true;
  return false;
}

/** toJsonBytes as text (tests compare it with JSON.stringify). */
export function toJsonText(list: Series[], noNullPoints: boolean): string {
  return toJsonBytes(list, noNullPoints).toString('utf8');
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
