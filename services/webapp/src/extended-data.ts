import { createHash } from 'node:crypto';
import type {
  DataResponse,
  ExtendedDataQuery,
  LegacyFieldInfo,
  PluginExtendedData,
  SourceExtendedData,
  ViewExtendedData,
} from '../../../common/schemas/index.js';
import type { AuthUser } from './auth/user.js';
import type { AppDeps } from './deps.js';
import { groupBy } from './grouping.js';
import type { Host, SourcePath, View } from './repos/index.js';
import { StorageError } from './storage-client/errors.js';

/**
 * The graphs' input, in the original shapes (`{name, datas: {TS_start, TS_step, DATAS}, infos}`).
 * Callers have already checked that the user may see the host/source/view.
 */

function dataQuery(q: ExtendedDataQuery) {
  return { res: q.from === undefined ? q.res : undefined, from: q.from, until: q.until, maxDataPoints: q.maxDataPoints };
}

/** Colour of a series: munin's `colour` attribute, else a stable one from the name (as the original). */
export function seriesColour(name: string, info?: LegacyFieldInfo): string {
  const given = info?.colour ?? info?.color;
  if (given && /^#?[0-9A-Fa-f]{6}$/.test(given)) return given.startsWith('#') ? given : `#${given}`;
  return `#${createHash('md5').update(name).digest('hex').slice(0, 6)}`;
}

export async function pluginExtendedData(deps: AppDeps, host: Host, plugin: string, q: ExtendedDataQuery): Promise<PluginExtendedData> {
  const info = await deps.storages.getPluginInfo(host, plugin);
  const datas = await deps.storages.getData(host, plugin, Object.keys(info.Infos), dataQuery(q));
  return { name: plugin, datas, infos: info };
}

export async function sourceExtendedData(deps: AppDeps, path: SourcePath, q: ExtendedDataQuery): Promise<SourceExtendedData> {
  const { host, plugin, source } = path;
  const info = await deps.storages.getPluginInfo(host, plugin.name);
  const dsInfo = (Object.hasOwn(info.Infos, source.name) ? info.Infos[source.name] : undefined) ?? { id: source.name };
  const datas = await deps.storages.getData(host, plugin.name, [source.name], dataQuery(q));
  return {
    colors: seriesColour(source.name, dsInfo),
    name: source.name,
    datas,
    infos: { Describ: source.comment, Plugin: plugin.name, Title: source.name, Infos: { [source.name]: dsInfo } },
  };
}

export function seriesLabel(path: SourcePath): string {
  return `${path.host.name} - ${path.plugin.name} - ${path.source.name}`;
}

/** Values of `series` at the times of the grid (nearest point), so sources of different storages line up. */
export function alignTo(grid: { start: number; step: number; length: number }, series: DataResponse, ds: string): (number | null)[] {
  const values = series.DATAS[ds] ?? [];
  const out: (number | null)[] = [];
  for (let i = 0; i < grid.length; i++) {
    const j = Math.round((grid.start + i * grid.step - series.TS_start) / series.TS_step);
    out.push(j >= 0 && j < values.length ? values[j] : null);
  }
  return out;
}

/**
 * A data source's munin attributes under its view label: `id`/`label` become the label, field
 * names in `negative` and `cdef` are renamed to the labels of the same plugin's sources in the
 * view (dropped when the partner is not in the view), and a colour already taken by another
 * series is replaced by one derived from the label (as the original did).
 */
function renamedFieldInfo(info: LegacyFieldInfo, label: string, samePlugin: SourcePath[], usedColours: Set<string>): LegacyFieldInfo {
  const rename = new Map(samePlugin.map((p) => [p.source.name, seriesLabel(p)]));
  const out: LegacyFieldInfo = { ...info, id: label, label };
  if (info.negative !== undefined) {
    const partner = rename.get(info.negative);
    if (partner) out.negative = partner;
    else delete out.negative;
  }
  if (info.cdef !== undefined) {
    const tokens = info.cdef.split(',');
    const fieldsKnown = tokens.every((t) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(t) || rename.has(t) || /^[A-Z]+$/.test(t));
    if (fieldsKnown) out.cdef = tokens.map((t) => rename.get(t) ?? t).join(',');
    else delete out.cdef;
  }
  let colour = seriesColour(label, info);
  if (usedColours.has(colour.toLowerCase())) colour = seriesColour(label);
  usedColours.add(colour.toLowerCase());
  out.colour = colour;
  return out;
}

/**
 * A view's series, keyed `<host> - <plugin> - <ds>`, one storage request per (host, plugin).
 * A source on a host the user cannot see, or on a storage that fails, is left out and explained
 * in `errors`: one unreachable storage never breaks the whole view.
 */
export async function viewExtendedData(deps: AppDeps, user: AuthUser, view: View, q: ExtendedDataQuery): Promise<ViewExtendedData> {
  const paths = await deps.repos.sources.withPath(view.sources);
  const errors: Record<string, string> = {};
  const visible: SourcePath[] = [];
  for (const path of paths) {
    if (deps.access.canSeeHostRow(user, path.host)) visible.push(path);
    else errors[seriesLabel(path)] = 'not permitted';
  }
  const groups = groupBy(visible, (path) => `${path.host.id}\u0000${path.plugin.name}`);
  const fetched = await Promise.all(
    [...groups.values()].map(async (group) => {
      const { host, plugin } = group[0];
      try {
        const [info, data] = await Promise.all([
          deps.storages.getPluginInfo(host, plugin.name),
          deps.storages.getData(
            host,
            plugin.name,
            group.map((p) => p.source.name),
            dataQuery(q),
          ),
        ]);
        return { group, info, data };
      } catch (error) {
        if (!(error instanceof StorageError)) throw error;
        for (const p of group) errors[seriesLabel(p)] = error.message;
        return null;
      }
    }),
  );
  const ok = fetched.filter((f) => f !== null);
  const first = ok[0]?.data;
  const grid = first
    ? { start: first.TS_start, step: first.TS_step, length: Math.max(0, ...Object.values(first.DATAS).map((v) => v.length)) }
    : null;
  const datas: DataResponse = { TS_start: grid?.start ?? 0, TS_step: grid?.step ?? 60, DATAS: {} };
  const infos: Record<string, LegacyFieldInfo> = {};
  const right = new Set(view.rightAxis);
  const rightLabels: string[] = [];
  const order = new Map(view.sources.map((id, i) => [id, i]));
  const usedColours = new Set<string>();
  const series = ok.flatMap((f) => f.group.map((path) => ({ path, f })));
  series.sort((a, b) => (order.get(a.path.source.id) ?? 0) - (order.get(b.path.source.id) ?? 0));
  for (const { path, f } of series) {
    const label = seriesLabel(path);
    if (!Object.hasOwn(f.data.DATAS, path.source.name)) {
      errors[label] = 'no data stored for this source';
      continue;
    }
    datas.DATAS[label] = grid ? alignTo(grid, f.data, path.source.name) : [];
    const dsInfo = (Object.hasOwn(f.info.Infos, path.source.name) ? f.info.Infos[path.source.name] : undefined) ?? { id: path.source.name };
    infos[label] = renamedFieldInfo(dsInfo, label, f.group, usedColours);
    if (right.has(path.source.id)) rightLabels.push(label);
  }
  return {
    name: view.name,
    type: 'view',
    id: view.id,
    source_ids: view.sources,
    right_axis: rightLabels,
    warning: view.warning,
    critical: view.critical,
    infos: { Describ: view.comment, Plugin: view.name, Title: view.name, Infos: infos },
    datas,
    errors,
  };
}
