import type { AppDeps } from './deps.js';
import { HttpError } from './http-errors.js';
import type { Host, Skeleton } from './repos/index.js';

export class SkeletonPatternError extends HttpError {
  constructor(skeleton: Skeleton, cause: unknown) {
    super(400, `skeleton "${skeleton.name}" has an invalid pattern: ${(cause as Error).message}`, 'plugin_pattern', { cause });
    this.name = 'SkeletonPatternError';
  }
}

/**
 * A view from a skeleton, as the original `Skeleton.create_view`: on each host, the storage's
 * plugins whose name matches `plugin_pattern` (unanchored search) and their data sources matching
 * `source_pattern` are created in the database if missing, and one view gathers them all.
 * Used by the CLI (`skeleton create_view`), REST (`POST /rest/skeletons/:id/create_view`) and pages.
 */
export async function createViewFromSkeleton(
  deps: AppDeps,
  skeleton: Skeleton,
  hosts: readonly Host[],
  options: { name?: string; users?: number[]; groups?: number[] } = {},
): Promise<{ viewId: number; sourceIds: number[] }> {
  let pluginPattern: RegExp;
  let sourcePattern: RegExp;
  try {
    pluginPattern = new RegExp(skeleton.pluginPattern);
    sourcePattern = new RegExp(skeleton.sourcePattern);
  } catch (error) {
    throw new SkeletonPatternError(skeleton, error);
  }
  const sourceIds: number[] = [];
  for (const host of hosts) {
    const list = await deps.storages.getPluginList(host);
    const pluginNames = Object.keys(list)
      .filter((p) => pluginPattern.test(p))
      .sort();
    await deps.repos.plugins.ensure(host.id, pluginNames);
    const plugins = (await deps.repos.plugins.forHost(host.id)).filter((p) => pluginNames.includes(p.name));
    for (const plugin of plugins) {
      const dsNames = orderedSources(list[plugin.name]).filter((ds) => sourcePattern.test(ds));
      await deps.repos.sources.ensure(plugin.id, dsNames);
      const byName = new Map((await deps.repos.sources.forPlugin(plugin.id)).map((s) => [s.name, s.id]));
      for (const ds of dsNames) sourceIds.push(byName.get(ds)!);
    }
  }
  const name = options.name ?? `${skeleton.name} - ${hosts.map((h) => h.name).join(', ')}`;
  const viewId = await deps.repos.views.create({
    name: name.slice(0, 250),
    comment: skeleton.comment,
    warning: null,
    critical: null,
    sources: sourceIds,
    rightAxis: [],
    users: options.users ?? [],
    groups: options.groups ?? [],
  });
  return { viewId, sourceIds };
}

/** Data source names in the plugin's `Order` first (munin's graph_order), then the rest sorted. */
export function orderedSources(info: { Order?: string; Infos: Record<string, unknown> }): string[] {
  const all = Object.keys(info.Infos);
  const ordered = (info.Order ?? '').split(/\s+/).filter((ds) => all.includes(ds));
  return [...new Set([...ordered, ...all.filter((ds) => !ordered.includes(ds)).sort()])];
}
