import type { SkeletonPart as SkeletonPartIn } from '../../../common/schemas/index.js';
import type { AppDeps } from './deps.js';
import { HttpError } from './http-errors.js';
import type { Host, Skeleton, SkeletonPart } from './repos/index.js';

export class SkeletonPatternError extends HttpError {
  constructor(skeleton: Skeleton, field: string, cause: unknown) {
    super(400, `skeleton "${skeleton.name}" has an invalid pattern (${field}): ${(cause as Error).message}`, field, { cause });
    this.name = 'SkeletonPatternError';
  }
}

/** A skeleton pattern, compiled. The first rule is the skeleton's main pattern. */
interface Rule {
  plugin: RegExp;
  source: RegExp;
  axis: 'left' | 'right';
  fallback: boolean;
}

/** What a skeleton picks on one host: plugins and their data sources, in view order. */
export interface HostSelection {
  /** The main pattern matched at least one data source: the host qualifies for `populate`. */
  mainMatched: boolean;
  picks: { plugin: string; sources: string[]; axis: 'left' | 'right' }[];
}

/** REST/CLI part shape → repository shape. */
export function partIn(p: SkeletonPartIn): SkeletonPart {
  return { pluginPattern: p.plugin_pattern, sourcePattern: p.source_pattern, axis: p.axis, fallback: p.fallback };
}

function compile(skeleton: Skeleton, field: string, pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new SkeletonPatternError(skeleton, field, error);
  }
}

function rulesOf(skeleton: Skeleton): Rule[] {
  return [
    {
      plugin: compile(skeleton, 'plugin_pattern', skeleton.pluginPattern),
      source: compile(skeleton, 'source_pattern', skeleton.sourcePattern),
      axis: 'left',
      fallback: false,
    },
    ...skeleton.parts.map((p, i) => ({
      plugin: compile(skeleton, `parts.${i}.plugin_pattern`, p.pluginPattern),
      source: compile(skeleton, `parts.${i}.source_pattern`, p.sourcePattern),
      axis: p.axis,
      fallback: p.fallback,
    })),
  ];
}

/**
 * The plugins and data sources of one host's plugin list that a skeleton picks: for each rule, the
 * plugins whose name matches (unanchored search, sorted) and their sources that match, in the
 * plugin's order. A fallback rule is skipped when an earlier rule of its group (the rules since the
 * last non-fallback one) picked something.
 */
export function selectSources(skeleton: Skeleton, list: Record<string, { Order?: string; Infos: Record<string, unknown> }>): HostSelection {
  const picks: HostSelection['picks'] = [];
  let mainMatched = false;
  let groupSatisfied = false;
  for (const [index, rule] of rulesOf(skeleton).entries()) {
    if (!rule.fallback) groupSatisfied = false;
    else if (groupSatisfied) continue;
    for (const plugin of Object.keys(list)
      .filter((p) => rule.plugin.test(p))
      .sort()) {
      const sources = orderedSources(list[plugin]).filter((ds) => rule.source.test(ds));
      if (!sources.length) continue;
      picks.push({ plugin, sources, axis: rule.axis });
      groupSatisfied = true;
      if (index === 0) mainMatched = true;
    }
  }
  return { mainMatched, picks };
}

/**
 * A view from a skeleton, as the original `Skeleton.create_view`, over several plugins: on each
 * host, the sources the skeleton picks (`selectSources`) are created in the database if missing,
 * and one view gathers them all, the right-axis parts' sources on the right axis.
 * Used by the CLI (`skeleton create_view`), REST (`POST /rest/skeletons/:id/create_view`), pages and `populate`.
 */
export async function createViewFromSkeleton(
  deps: AppDeps,
  skeleton: Skeleton,
  hosts: readonly Host[],
  options: { name?: string; users?: number[]; groups?: number[] } = {},
): Promise<{ viewId: number; sourceIds: number[]; rightAxis: number[] }> {
  rulesOf(skeleton); // a bad pattern fails before any storage request
  const selections: { host: Host; selection: HostSelection }[] = [];
  for (const host of hosts) selections.push({ host, selection: selectSources(skeleton, await deps.storages.getPluginList(host)) });
  return createViewFromSelections(deps, skeleton, selections, options);
}

export async function createViewFromSelections(
  deps: AppDeps,
  skeleton: Skeleton,
  selections: readonly { host: Host; selection: HostSelection }[],
  options: { name?: string; users?: number[]; groups?: number[] } = {},
): Promise<{ viewId: number; sourceIds: number[]; rightAxis: number[] }> {
  const sourceIds: number[] = [];
  const rightAxis: number[] = [];
  for (const { host, selection } of selections) {
    await deps.repos.plugins.ensure(host.id, [...new Set(selection.picks.map((p) => p.plugin))]);
    const plugins = new Map((await deps.repos.plugins.forHost(host.id)).map((p) => [p.name, p.id]));
    for (const pick of selection.picks) {
      const pluginId = plugins.get(pick.plugin)!;
      await deps.repos.sources.ensure(pluginId, pick.sources);
      const byName = new Map((await deps.repos.sources.forPlugin(pluginId)).map((s) => [s.name, s.id]));
      for (const ds of pick.sources) {
        const id = byName.get(ds)!;
        if (sourceIds.includes(id)) continue; // two rules may pick the same source; it goes where it came first
        sourceIds.push(id);
        if (pick.axis === 'right') rightAxis.push(id);
      }
    }
  }
  const name = options.name ?? `${skeleton.name} - ${selections.map((s) => s.host.name).join(', ')}`;
  const viewId = await deps.repos.views.create({
    name: name.slice(0, 250),
    comment: skeleton.comment,
    warning: null,
    critical: null,
    sources: sourceIds,
    rightAxis,
    users: options.users ?? [],
    groups: options.groups ?? [],
  });
  return { viewId, sourceIds, rightAxis };
}

/** Data source names in the plugin's `Order` first (munin's graph_order), then the rest sorted. */
export function orderedSources(info: { Order?: string; Infos: Record<string, unknown> }): string[] {
  const all = Object.keys(info.Infos);
  const ordered = (info.Order ?? '').split(/\s+/).filter((ds) => all.includes(ds));
  return [...new Set([...ordered, ...all.filter((ds) => !ordered.includes(ds)).sort()])];
}
