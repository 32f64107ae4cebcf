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
 * nor string per point (a million of them for 1,000 series × 1 day). Handed out in chunks
 * of about `sliceBytes` bytes, so the API can send each and let the event loop serve
 * other requests in between (an answer of 1,000 series × 1 day took ~100 ms of CPU in one
 * piece, several times that under load). The timestamps of a series are copied from the
 * previous series' when both have the same grid (the usual case: one step, one window),
 * instead of being written digit by digit for every point. Slices the caller is done with
 * (sent) may be put back in `spare`: the next slices are written into them, so an answer
 * of 45 MB allocates a few buffers instead of 45 MB that would each wait for a full GC.
 */
export function* jsonChunks(list: Series[], noNullPoints: boolean, sliceBytes = 128 * 1024, spare: Buffer[] = []): Generator<Buffer> {
  // A slice ends past sliceBytes by at most one series' header and one point.
  const room = sliceBytes + 1024;
  const slice = () => new JsonBytes(room, wholeBuffer(spare.pop()));
  let out = slice();
  let times: TimeRow | null = null;
  let scratch: Buffer = Buffer.allocUnsafe(0);
  out.byte(OPEN_LIST);
  let first = true;
  for (const s of list) {
    const values = s.points();
    const width = s.step * s.valuesPerPoint;
    if (noNullPoints && !hasPoint(s, values, width)) continue;
    const count = pointCount(s, values, width);
    if (times === null || times.start !== s.start || times.width !== width || times.count < count) times = timeRow(s.start, width, count);
    out.text(`${first ? '' : ','}{"target":${escapedJson(s.name)},"tags":${escapedJson({ ...s.tags })},"datapoints":[`);
    first = false;
    const texts = valueTexts(values, count, scratch);
    scratch = texts.bytes;
    let written = 0;
    for (let i = 0; i < count; i++) {
      if (noNullPoints && !Number.isFinite(values[i])) continue;
      if (written++ > 0) out.byte(COMMA);
      out.byte(OPEN_LIST);
      out.copy(texts.bytes, texts.ends[i], texts.ends[i + 1] - 1);
      out.copy(times.bytes, times.ends[i], times.ends[i + 1]);
      if (out.length >= sliceBytes) {
        yield out.bytes();
        out = slice();
      }
    }
    out.text(']}');
  }
  out.byte(CLOSE_LIST);
  yield out.bytes();
}

/** The whole buffer a slice was cut from (a slice starts at its buffer's first byte). */
function wholeBuffer(slice: Buffer | undefined): Buffer | undefined {
  return slice && Buffer.from(slice.buffer, slice.byteOffset, slice.buffer.byteLength - slice.byteOffset);
}

/** toJsonBytes in one buffer (tests, small answers). */
export function toJsonBytes(list: Series[], noNullPoints: boolean): Buffer {
  return Buffer.concat([...jsonChunks(list, noNullPoints)]);
}

const OPEN_LIST = 0x5b;
const CLOSE_LIST = 0x5d;
const COMMA = 0x2c;

/**
 * The JSON text of each value (null for NaN and infinities), from one JSON.stringify of the
 * series' values: V8 writes the numbers of an array straight into its output, several
 * times faster than a String() per value, and leaves no string per value to collect (for a
 * million full-precision doubles, the strings alone were ~50 MB of garbage a render).
 * Value i is bytes[ends[i], ends[i + 1] - 1) (each text is followed by its comma or `]`).
 */
function valueTexts(values: Values, count: number, scratch: Buffer): { bytes: Buffer; ends: Uint32Array } {
  const text = JSON.stringify(Array.from(values.subarray(0, count)));
  const bytes = scratch.length >= text.length ? scratch : Buffer.allocUnsafe(Math.max(text.length, 2 * scratch.length));
  const length = bytes.write(text, 0, 'latin1');
  const ends = new Uint32Array(count + 1);
  ends[0] = 1;
  let n = 1;
  for (let at = 1; at < length && n <= count; at++) if (bytes[at] === COMMA || bytes[at] === CLOSE_LIST) ends[n++] = at + 1;
  return { bytes, ends };
}

/** `,<t>]` of each point of a grid, back to back: point i is bytes[ends[i], ends[i + 1]). */
interface TimeRow {
  start: number;
  width: number;
  count: number;
  bytes: Buffer;
  ends: Uint32Array;
}

function timeRow(start: number, width: number, count: number): TimeRow {
  const out = new JsonBytes(14 * count + 64);
  const ends = new Uint32Array(count + 1);
  for (let i = 0, t = start; i < count; i++, t += width) {
    out.byte(COMMA);
    out.number(t);
    out.byte(CLOSE_LIST);
    ends[i + 1] = out.length;
  }
  return { start, width, count, bytes: out.bytes(), ends };
}

/** Points the answer holds: datapoints()'s loop, values while their time is within the series. */
function pointCount(s: Series, values: Values, width: number): number {
  let count = 0;
  for (let t = s.start; count < values.length && t <= s.end; t += width) count++;
  return count;
}

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
