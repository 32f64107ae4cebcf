import { toFieldName } from '../../schemas/index.js';

/**
 * A host section's graph overrides in munin.conf: `load.graph_title Load`,
 * `load.load.colour FF0000`, `diskstats_latency.sda.graph_vlabel ms` (a multigraph name
 * has dots; a field never has one). Munin's master lays them over what the node's
 * `config` says ("any directives in this file will override directives of the same name
 * in datafile", munin.conf(5)); the central poller and `import-munin` do the same before
 * describing a plugin, so the webapp draws it as Munin did and the poller's infos after
 * the switch equal the imported ones. Keys without a dot (address, port...) are the
 * host's own settings, not overrides.
 */
export interface MuninGraphOverride {
  /** The plugin, or the multigraph section name. */
  plugin: string;
  /** The field (sanitised as the plugin's own), absent for a graph attribute. */
  field?: string;
  /** `graph_title`, `graph_args`... for a graph; `label`, `colour`, `draw`... for a field. */
  attribute: string;
  value: string;
}

/** Field attributes a plugin's config may carry (munin's plugin reference). */
const FIELD_ATTRIBUTES = new Set([
  'label',
  'type',
  'draw',
  'colour',
  'cdef',
  'negative',
  'graph',
  'min',
  'max',
  'warning',
  'critical',
  'info',
  'extinfo',
  'line',
  'stack',
  'sum',
  'max_value',
  'min_value',
]);
const PLUGIN_NAME = /^[-\w:]+(\.[-\w:]+)*$/;

/** The graph overrides among a host section's keys, in the order of their lines. */
export function graphOverrides(keys: Iterable<[string, { value: string }]>): MuninGraphOverride[] {
  const out: MuninGraphOverride[] = [];
  for (const [key, { value }] of keys) {
    const parts = key.split('.');
    const last = parts[parts.length - 1];
    if (parts.length >= 2 && last.startsWith('graph_')) {
      const plugin = parts.slice(0, -1).join('.');
      if (PLUGIN_NAME.test(plugin)) out.push({ plugin, attribute: last, value });
    } else if (parts.length >= 3 && FIELD_ATTRIBUTES.has(last)) {
      const plugin = parts.slice(0, -2).join('.');
      if (PLUGIN_NAME.test(plugin)) out.push({ plugin, field: toFieldName(parts[parts.length - 2]), attribute: last, value });
    }
  }
  return out;
}

/** The overrides of one plugin, by plugin name (what applyGraphOverrides looks up). */
export function overridesByPlugin(overrides: readonly MuninGraphOverride[]): Map<string, MuninGraphOverride[]> {
  const byPlugin = new Map<string, MuninGraphOverride[]>();
  for (const override of overrides) byPlugin.set(override.plugin, [...(byPlugin.get(override.plugin) ?? []), override]);
  return byPlugin;
}

/**
 * Lays a plugin's overrides over its parsed config (mutated). An override of a field the
 * config does not have is left out: there is no series to draw it from.
 */
export function applyGraphOverrides(
  section: { graph: Map<string, string>; fields: Map<string, Map<string, string>> },
  overrides: readonly MuninGraphOverride[] | undefined,
): void {
  for (const { field, attribute, value } of overrides ?? []) {
    if (field === undefined) {
      section.graph.set(attribute, value);
      continue;
    }
    section.fields.get(field)?.set(attribute, value);
  }
}
