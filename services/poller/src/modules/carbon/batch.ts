import { type DataPoint, type FieldInfo, fastDataMessage, LIMITS, type Message } from '../../../../../common/schemas/index.js';
import { dataMessages, hostInfoMessage, messageProblem, pluginInfoMessage } from '../../core/messages.js';

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

export class PointBatch {
  private hosts = new Map<string, Map<string, DataPoint>>();
  private values = 0;

  /** The last value of a series at one second wins (as in a Whisper slot). */
  add(host: string, plugin: string, ds: string, timestamp: number, value: number): void {
    let points = this.hosts.get(host);
    if (!points) {
      points = new Map();
      this.hosts.set(host, points);
    }
    const key = `${plugin}\t${timestamp}`;
    let point = points.get(key);
    if (!point) {
      point = { plugin, timestamp, values: {} };
      points.set(key, point);
    }
    if (!Object.hasOwn(point.values, ds)) this.values++;
    point.values[ds] = value;
  }

  get size(): number {
    return this.values;
  }

  /** Data messages per host (several plugins per message, bounded), and empties the batch. */
  take(maxPointsPerMessage: number): { messages: Message[]; values: number } {
    const messages: Message[] = [];
    for (const [host, points] of this.hosts) messages.push(...dataMessages(host, splitLarge([...points.values()]), maxPointsPerMessage));
    const values = this.values;
    this.hosts = new Map();
    this.values = 0;
    return { messages, values };
  }
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
