import { type DataPoint, LIMITS, type Message } from '../../../../../common/schemas/index.js';
import { dataMessages } from '../../polling/messages.js';

/**
 * What a listener module accepted since its last flush, as columns: per series, its
 * seconds and values in two arrays of doubles, appended to in place (a line allocates
 * nothing, and nothing the garbage collector must trace lives until the flush). Data
 * points, one per plugin and second carrying every data source with a value then, are
 * built at flush time, when a plugin's series nearly always hold the same seconds (its
 * data sources are sent together): point i then takes value i of each, every `values`
 * object built with its keys in one order (one shape for V8, one fast path for JSON).
 */
export interface SeriesColumn {
  readonly slot: PluginSlot;
  readonly ds: string;
  readonly timestamps: number[];
  readonly values: number[];
  /** Values in the batch (the arrays are reused: entries past it are stale). */
  count: number;
  /** The latest second in the batch. */
  last: number;
  /** The seconds in the batch, once one came out of order (so a duplicate is found in one lookup). */
  seen: Set<number> | null;
  /**
   * The latest second handed to the spool. A second value for one second is dropped (the
   * first one is kept): two messages holding different values for one Whisper slot would
   * make the stored value depend on redelivery order (the spool and the broker deliver at
   * least once), so the first value wins, deterministically.
   */
  flushedLast: number;
}

/** One plugin of one host: its series, and those with values in the batch. */
export interface PluginSlot {
  readonly host: string;
  readonly plugin: string;
  readonly series: Map<string, SeriesColumn>;
  touched: SeriesColumn[];
}

export class PointBatch {
  private readonly slots = new Map<string, Map<string, PluginSlot>>();
  private touched: PluginSlot[] = [];
  private values = 0;

  /** The column of a series (kept across flushes: callers may hold on to it). */
  series(host: string, plugin: string, ds: string): SeriesColumn {
    let plugins = this.slots.get(host);
    if (!plugins) {
      plugins = new Map();
      this.slots.set(host, plugins);
    }
    let slot = plugins.get(plugin);
    if (!slot) {
      slot = { host, plugin, series: new Map(), touched: [] };
      plugins.set(plugin, slot);
    }
    let column = slot.series.get(ds);
    if (!column) {
      column = { slot, ds, timestamps: [], values: [], count: 0, last: 0, seen: null, flushedLast: Number.NEGATIVE_INFINITY };
      slot.series.set(ds, column);
    }
    return column;
  }

  add(host: string, plugin: string, ds: string, timestamp: number, value: number): boolean {
    return this.addTo(this.series(host, plugin, ds), timestamp, value);
  }

  /** False when the series already has a value at this second, in the batch or as the latest spooled (the first one is kept). */
  addTo(column: SeriesColumn, timestamp: number, value: number): boolean {
    if (timestamp === column.flushedLast) return false;
    if (column.count === 0) {
      const slot = column.slot;
      if (slot.touched.length === 0) this.touched.push(slot);
      slot.touched.push(column);
      column.last = timestamp;
      column.seen = null;
    } else if (timestamp > column.last) {
      column.last = timestamp;
      column.seen?.add(timestamp);
    } else {
      if (timestamp === column.last) return false;
      column.seen ??= new Set(column.timestamps.slice(0, column.count));
      if (column.seen.has(timestamp)) return false;
      column.seen.add(timestamp);
    }
    const i = column.count++;
    if (i < column.timestamps.length) {
      column.timestamps[i] = timestamp;
      column.values[i] = value;
    } else {
      column.timestamps.push(timestamp);
      column.values.push(value);
    }
    this.values++;
    return true;
  }

  get size(): number {
    return this.values;
  }

  /** Plugins with values in the batch, in the order they got their first one (take() goes in that order). */
  get pendingSlots(): number {
    return this.touched.length;
  }

  /**
   * Data messages per host (several plugins per message, bounded) of the oldest touched
   * plugins, at most `maxSlots` of them and about `maxValues` values (whole plugins, at
   * least one): a flush takes the batch in parts, so that one part at a time is built as
   * objects and encoded, and the sockets are read in between. Values arriving meanwhile
   * join their plugin's columns: in this part if it is not taken yet, else the next flush.
   */
  take(maxPointsPerMessage: number, maxSlots = Number.POSITIVE_INFINITY, maxValues = Number.POSITIVE_INFINITY): TakenPart {
    const byHost = new Map<string, DataPoint[]>();
    let values = 0;
    let slots = 0;
    while (slots < this.touched.length && slots < maxSlots && (slots === 0 || values < maxValues)) {
      const slot = this.touched[slots++];
      let list = byHost.get(slot.host);
      if (!list) {
        list = [];
        byHost.set(slot.host, list);
      }
      pointsOf(slot, list);
      for (const column of slot.touched) {
        values += column.count;
        if (column.last > column.flushedLast) column.flushedLast = column.last;
        column.count = 0;
        column.seen = null;
      }
      slot.touched = [];
    }
    const messages: Message[] = [];
    for (const [host, points] of byHost) messages.push(...dataMessages(host, splitLarge(points), maxPointsPerMessage, encodedSizeBound));
    this.touched = slots === this.touched.length ? [] : this.touched.slice(slots);
    this.values -= values;
    return { messages, values, slots };
  }
}

export interface TakenPart {
  messages: Message[];
  /** Values in the messages. */
  values: number;
  /** Plugins taken. */
  slots: number;
}

/** The slot's points into `out`: by index when its series hold the same seconds, else grouped by second. */
function pointsOf(slot: PluginSlot, out: DataPoint[]): void {
  const columns = slot.touched;
  const first = columns[0];
  if (columns.every((column) => sameSeconds(first, column))) {
    for (let i = 0; i < first.count; i++) {
      const values: Record<string, number> = {};
      for (const column of columns) values[column.ds] = column.values[i];
      out.push({ plugin: slot.plugin, timestamp: first.timestamps[i], values });
    }
    return;
  }
  const bySecond = new Map<number, DataPoint>();
  for (const column of columns) {
    for (let i = 0; i < column.count; i++) {
      const timestamp = column.timestamps[i];
      let point = bySecond.get(timestamp);
      if (!point) {
        point = { plugin: slot.plugin, timestamp, values: {} };
        bySecond.set(timestamp, point);
        out.push(point);
      }
      point.values[column.ds] = column.values[i];
    }
  }
}

function sameSeconds(a: SeriesColumn, b: SeriesColumn): boolean {
  if (a === b) return true;
  if (a.count !== b.count) return false;
  for (let i = 0; i < a.count; i++) if (a.timestamps[i] !== b.timestamps[i]) return false;
  return true;
}

/**
 * At least the length of `JSON.stringify(point)`, without encoding it: the listeners' names
 * are ASCII without quotes or backslashes (a name is counted twice, as if each character
 * were escaped, to be sure), a timestamp has at most 10 digits and a number at most 24
 * characters (`-1.2345678901234567e+300`).
 */
function encodedSizeBound(point: DataPoint): number {
  let size = 48 + 2 * point.plugin.length; // {"plugin":"","timestamp":0000000000,"values":{}}
  for (const ds in point.values) size += 2 * ds.length + 28; // "ds":number,
  return size;
}

/** A point never carries more values than a message allows (1,000 data sources of one plugin at one second). */
function splitLarge(points: DataPoint[]): DataPoint[] {
  if (points.every((p) => Object.keys(p.values).length <= LIMITS.maxValuesPerPoint)) return points;
  const out: DataPoint[] = [];
  for (const point of points) {
    const entries = Object.entries(point.values);
    for (let i = 0; i < entries.length; i += LIMITS.maxValuesPerPoint)
      out.push({ ...point, values: Object.fromEntries(entries.slice(i, i + LIMITS.maxValuesPerPoint)) });
  }
  return out;
}
