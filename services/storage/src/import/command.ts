import { systemClock } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { type MuninGraphOverride, readMuninConf } from '../../../../common/munin/index.js';
import type { StorageConfig } from '../config.js';
import { HostDirectories } from '../files/host-directories.js';
import { StorageIndex } from '../index/storage-index.js';
import { importMunin, type MuninImportReport } from './munin-import.js';
import { RrdTool } from './rrdtool.js';

export interface ImportCommandOptions {
  dbdir?: string;
  conf?: string;
  hostIdFormat: string;
}

export const DEFAULT_MUNIN_DBDIR = '/var/lib/munin';

/**
 * What the import takes from munin.conf (`--conf`): the RRD directory unless `--dbdir`
 * names one, and each host's graph overrides (by `group;name`, as the datafile names
 * hosts), laid over the datafile as Munin's master does.
 */
export function muninConfOf(options: ImportCommandOptions): {
  dbdir: string;
  problems: string[];
  graphOverrides: Map<string, MuninGraphOverride[]>;
} {
  const graphOverrides = new Map<string, MuninGraphOverride[]>();
  if (!options.conf) return { dbdir: options.dbdir ?? DEFAULT_MUNIN_DBDIR, problems: [], graphOverrides };
  const conf = readMuninConf(options.conf);
  for (const node of conf.nodes) if (node.graphOverrides.length) graphOverrides.set(`${node.group};${node.name}`, node.graphOverrides);
  return { dbdir: options.dbdir ?? conf.dbdir ?? DEFAULT_MUNIN_DBDIR, problems: conf.problems, graphOverrides };
}

/**
 * Wires `import-munin` to the storage its configuration describes: the same wsp_path,
 * host directories and Redis index as the running service (which may run meanwhile).
 * The RRD directory is `--dbdir`, else munin.conf's `dbdir`, else /var/lib/munin.
 */
export async function runMuninImport(config: StorageConfig, options: ImportCommandOptions, logger: Logger): Promise<MuninImportReport> {
  const { dbdir, problems, graphOverrides } = muninConfOf(options);
  const g = config.global;
  const index = StorageIndex.open(config, logger);
  const rrdtool = new RrdTool();
  try {
    await index.connect();
    const report = await importMunin({
      dbdir,
      hosts: new HostDirectories({ wspRoot: g.wsp_path, hashChars: g.wsp_path_md5_char, index: index.writer }),
      index: index.writer,
      rrdtool,
      hostIdFormat: options.hostIdFormat,
      graphOverrides,
      sparse: config.whisper.sparse,
      logger,
      clock: systemClock,
    });
    report.skipped.unshift(...problems);
    return report;
  } finally {
    await rrdtool.stop();
    await index.close();
  }
}
