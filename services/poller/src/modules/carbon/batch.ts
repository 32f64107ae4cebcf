import { type DataPoint, type FieldInfo, fastDataMessage, LIMITS, type Message } from '../../../../../common/schemas/index.js';
import { dataMessages, hostInfoMessage, messageProblem, pluginInfoMessage } from '../../polling/messages.js';

/**
 * What a listener module accepted since its last flush, grouped per host, plugin and
 * timestamp (one data point carries every data source of one plugin at one second), and
 * the catalogue of series it has seen, which says which plugin infos are new.
 */
export type AddResult = 'ok' | 'too_many_series' | 'too_many_fields';

interface PluginEntry {
  fields: Record<string, FieldInfo>;
  published: boolean;
}

export class SeriesCatalog {
  private readonly plugins = new Map<string, Map<string, PluginEntry>>();
  private readonly hostsPublished = new Set<string>();
  private series = 0;

  constructor(private readonly options: { maxSeries: number; category: string; source: string }) {}

  /** Registers a series (`describe` is called for a new one); a new one beyond the limits is refused. */
  admit(host: string, plugin: string, ds: string, describe: () => FieldInfo): AddResult {
    let plugins = this.plugins.get(host);
    if (!plugins) {
      plugins = new Map();
      this.plugins.set(host, plugins);
    }
    let entry = plugins.get(plugin);
    if (entry && ds in entry.fields) return 'ok';
    if (this.series >= this.options.maxSeries) return 'too_many_series';
    if (!entry) {
      entry = { fields: Object.create(null) as Record<string, FieldInfo>, published: false };
      plugins.set(plugin, entry);
    } else if (Object.keys(entry.fields).length >= LIMITS.maxFieldsPerPlugin) return 'too_many_fields';
    entry.fields[ds] = describe();
    entry.published = false;
    this.series++;
    return 'ok';
  }

  /** Host and plugin info for what changed since the last call, or everything when `all`. */
  infoMessages(selfHost: string, now: number, all: boolean): Message[] {
    const out: Message[] = [];
    for (const [host, plugins] of this.plugins) {
      if (host !== selfHost && (all || !this.hostsPublished.has(host))) {
        out.push(hostInfoMessage({ hostId: host, name: host, description: `${this.options.source} metrics` }, now));
        this.hostsPublished.add(host);
      }
      for (const [plugin, entry] of plugins) {
        if (!all && entry.published) continue;
        const order = Object.keys(entry.fields).sort();
        out.push(
          pluginInfoMessage(host, { plugin, title: plugin, category: this.options.category, order, fields: { ...entry.fields } }, now),
        );
        entry.published = true;
      }
    }
    return out;
  }

  /** Marks everything unpublished (the spool refused the last infos). */
  forgetPublished(): void {
    this.hostsPublished.clear();
    for (const plugins of this.plugins.values()) for (const entry of plugins.values()) entry.published = false;
  }

  get size(): number {
    return this.series;
  }
}

/** One plugin of one host in the batch: its points by second, and the seconds already spooled. */
export interface PluginSlot {
  readonly host: string;
  readonly plugin: string;
  points: Map<number, DataPoint>;
  /**
   * Data source → the latest second handed to the spool. A second value for one second is
   * dropped (the first one is kept): two messages holding different values for one Whisper
   * slot would make the stored value depend on redelivery order (the spool and the broker
   * deliver at least once), so the first value wins, deterministically.
   */
  readonly flushed: Map<string, number>;
}

export class PointBatch {
  private readonly slots = new Map<string, Map<string, PluginSlot>>();
  private touched: PluginSlot[] = [];
  private values = 0;

  /** The slot of a plugin (kept across flushes: callers may hold on to it). */
  slot(host: string, plugin: string): PluginSlot {
    let plugins = this.slots.get(host);
    if (!plugins) {
      plugins = new Map();
      this.slots.set(host, plugins);
    }
    let slot = plugins.get(plugin);
    if (!slot) {
      slot = { host, plugin, points: new Map(), flushed: new Map() };
      plugins.set(plugin, slot);
    }
    return slot;
  }

  add(host: string, plugin: string, ds: string, timestamp: number, value: number): boolean {
    return this.addTo(this.slot(host, plugin), ds, timestamp, value);
  }

  /** False when the series already has a value at this second, in the batch or spooled (the first one is kept). */
  addTo(slot: PluginSlot, ds: string, timestamp: number, value: number): boolean {
    let point = slot.points.get(timestamp);
    if (!point) {
      if (slot.flushed.get(ds) === timestamp) return false;
      if (slot.points.size === 0) this.touched.push(slot);
      point = { plugin: slot.plugin, timestamp, values: {} };
      slot.points.set(timestamp, point);
    } else if (Object.hasOwn(point.values, ds) || slot.flushed.get(ds) === timestamp) return false;
    this.values++;
    point.values[ds] = value;
    return true;
  }

  get size(): number {
    return this.values;
  }

  /** Data messages per host (several plugins per message, bounded), and empties the batch. */
  take(maxPointsPerMessage: number): { messages: Message[]; values: number } {
    const byHost = new Map<string, DataPoint[]>();
    for (const slot of this.touched) {
      let list = byHost.get(slot.host);
      if (!list) {
        list = [];
        byHost.set(slot.host, list);
      }
      for (const point of slot.points.values()) {
        list.push(point);
        for (const ds in point.values) {
          const last = slot.flushed.get(ds);
          if (last === undefined || point.timestamp > last) slot.flushed.set(ds, point.timestamp);
        }
      }
      slot.points = new Map();
    }
    const messages: Message[] = [];
    for (const [host, points] of byHost) messages.push(...dataMessages(host, splitLarge(points), maxPointsPerMessage, encodedSizeBound));
    const values = this.values;
    this.touched = [];
    this.values = 0;
    return { messages, values };
  }
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

/** Null when the message passes the shared schema, else why not. */
export function checkMessage(message: Message): string | null {
  if (message.kind === 'data' && fastDataMessage(message)) return null;
  return messageProblem(message);
}
