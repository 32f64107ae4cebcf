/**
 * Values per series in nested maps, host → plugin → field, so that the engine's per-point
 * lookup uses the names as they arrived: one map lookup per message (the host), one per
 * point (the plugin), one per value (the field), and no `host\0plugin\0field` key string
 * built and hashed for every value. Bounded: past `maxSeries` it starts over.
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

  /** Forgets a host's series (a deleted host: the values held states that ended). */
  deleteHost(hostId: string): void {
    const plugins = this.hosts.get(hostId);
    if (plugins === undefined) return;
    for (const fields of plugins.values()) this.count -= fields.size;
    this.hosts.delete(hostId);
  }

  clear(): void {
    this.hosts.clear();
    this.count = 0;
  }
}
