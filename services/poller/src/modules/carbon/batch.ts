import { type FieldInfo, LIMITS, type Message } from '../../../../../common/schemas/index.js';
import { hostInfoMessage, pluginInfoMessage } from '../../polling/messages.js';

/**
 * The catalogue of series a listener module has seen, which says which plugin infos are
 * new (what it accepted since its last flush is in point-batch.ts).
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
