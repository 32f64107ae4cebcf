import type { Logger } from '../../../../common/logging/index.js';
import { readMuninConf } from '../../../../common/munin/index.js';
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

export function dbdirOf(options: ImportCommandOptions): { dbdir: string; problems: string[] } {
  if (options.dbdir) return { dbdir: options.dbdir, problems: [] };
  if (!options.conf) return { dbdir: DEFAULT_MUNIN_DBDIR, problems: [] };
  const conf = readMuninConf(options.conf);
  return { dbdir: conf.dbdir ?? DEFAULT_MUNIN_DBDIR, problems: conf.problems };
}

/**
 * Wires `import-munin` to the storage its configuration describes: the same wsp_path,
 * host directories and Redis index as the running service (which may run meanwhile).
 * The RRD directory is `--dbdir`, else munin.conf's `dbdir`, else /var/lib/munin.
 */
export async function runMuninImport(config: StorageConfig, options: ImportCommandOptions, logger: Logger): Promise<MuninImportReport> {
  const { dbdir, problems } = dbdirOf(options);
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
      sparse: config.whisper.sparse,
      logger,
      now: () => Math.floor(Date.now() / 1000),
    });
    report.skipped.unshift(...problems);
    return report;
  } finally {
    await rrdtool.stop();
    await index.close();
  }
}
