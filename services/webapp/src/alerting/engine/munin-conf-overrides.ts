import { readMuninConf, type WatchedFiles } from '../../../../../common/munin/index.js';
import type { AlertSeries } from '../../../../../common/schemas/index.js';
import { isSafeName } from '../../../../../common/schemas/index.js';
import type { ThresholdText } from './munin-thresholds.js';

/**
 * munin.conf's per-field `warning`/`critical` overrides as series of numeter: the host ID
 * made from the munin host as the poller makes it (`[munin] host_id_format`), the plugin
 * (a multigraph section name keeps its dots) and the field. Overrides numeter could never
 * receive a point for (names that are not safe names) are reported and left out.
 */
export function muninConfOverrides(
  file: string,
  hostIdFormat: string,
): { overrides: Array<{ series: AlertSeries } & ThresholdText>; problems: string[]; watched: WatchedFiles } {
  const conf = readMuninConf(file);
  const problems = [...conf.problems];
  const overrides: Array<{ series: AlertSeries } & ThresholdText> = [];
  for (const node of conf.nodes) {
    const hostId = hostIdFormat.replaceAll('{name}', node.name).replaceAll('{group}', node.group);
    for (const t of node.thresholds) {
      const series = { hostId, plugin: t.plugin, field: t.field };
      if (![hostId, t.plugin, t.field].every(isSafeName)) {
        problems.push(`${t.source}: ${hostId}/${t.plugin}/${t.field} is not a numeter series name; override ignored`);
        continue;
      }
      overrides.push({ series, warning: t.warning ?? null, critical: t.critical ?? null });
    }
  }
  return { overrides, problems, watched: { files: conf.files, directories: conf.directories } };
}
