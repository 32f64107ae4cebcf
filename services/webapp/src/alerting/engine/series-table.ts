/**
 * Values per series in nested maps, host → plugin → field, so that the engine's per-point
 * lookup uses the names as they arrived: one map lookup per message (the host), one per
 * point (the plugin), one per value (the field), and no `host\0plugin\0field` key string
 * built and hashed for every value. Bounded: past `maxSeries` it starts over (Infinity: never).
 */
export type FieldMap<T> = Map<string, T>;
export type PluginMap<T> = Map<string, FieldMap<T>>;

export class SeriesTable<T> {
  private readonly hosts = new Map<string, PluginMap<T>>();
  private count = 0;

  constructor(private readonly maxSeries: number) {}

  get size(): number {
    return this.count;
  }

  pluginsOf(hostId: string): PluginMap<T> {
    let plugins = this.hosts.get(hostId);
    if (plugins === undefined) {
      plugins = new Map();
      this.hosts.set(hostId, plugins);
    }
    return plugins;
  }

  static fieldsOf<T>(plugins: PluginMap<T>, plugin: string): FieldMap<T> {
    let fields = plugins.get(plugin);
    if (fields === undefined) {
      fields = new Map();
      plugins.set(plugin, fields);
    }
    return fields;
  }

  /** Adds a series' value to the field map that pluginsOf / fieldsOf handed out. */
  add(fields: FieldMap<T>, field: string, value: T): void {
    if (this.count >= this.maxSeries) this.clear();
    // After a clear, `fields` is no longer in the table: the value is used once and forgotten.
    if (!fields.has(field)) this.count++;
    fields.set(field, value);
  }

  get(hostId: string, plugin: string, field: string): T | undefined {
    return this.hosts.get(hostId)?.get(plugin)?.get(field);
  }

  /** The value of a series, made by `make` when it has none. */
  getOrAdd(hostId: string, plugin: string, field: string, make: () => T): T {
    const fields = SeriesTable.fieldsOf(this.pluginsOf(hostId), plugin);
    let value = fields.get(field);
    if (value === undefined) {
      value = make();
      this.add(fields, field, value);
    }
    return value;
  }

  delete(hostId: string, plugin: string, field: string): void {
    const plugins = this.hosts.get(hostId);
    const fields = plugins?.get(plugin);
    if (!fields?.delete(field)) return;
    this.count--;
    if (fields.size === 0) plugins?.delete(plugin);
    if (plugins?.size === 0) this.hosts.delete(hostId);
  }

  *values(): IterableIterator<T> {
    for (const plugins of this.hosts.values()) for (const fields of plugins.values()) yield* fields.values();
  }

  /** Forgets a host's series (a deleted host: the values held states that ended); returns them. */
  deleteHost(hostId: string): T[] {
    const plugins = this.hosts.get(hostId);
    if (plugins === undefined) return [];
    const out: T[] = [];
    for (const fields of plugins.values()) {
      this.count -= fields.size;
      out.push(...fields.values());
    }
    this.hosts.delete(hostId);
    return out;
  }

  clear(): void {
    this.hosts.clear();
    this.count = 0;
  }
}
