import { join } from 'node:path';
import { type Clock, wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { identifyHostDirectory } from '../files/host-directories.js';
import { directories, scanHostDirectory } from '../files/host-scan.js';
import { containedPath } from '../files/layout.js';
import type { IndexWriter } from './index-writer.js';

export interface RebuildResult {
  hosts: number;
  plugins: number;
  dataSources: number;
  /** Host directories without a marker (their ID is the filtered name). */
  hostsWithoutMarker: number;
}

export interface RebuildOptions {
  wspRoot: string;
  index: IndexWriter;
  /** The index-complete marker's time, in whole epoch seconds, is read from it. */
  clock: Clock;
  logger?: Logger;
}

/**
 * Rebuilds the Redis index from the file tree `<wsp_path>/<hash>/<host>/<plugin>/<ds>.wsp`
 * after Redis lost it (flushed, new server). The host ID is read from the directory's
 * `.numeter-host.json`; directories written by the original Numeter have none: their
 * filtered name stands for the ID and their marker is written flagged as a guess, which the
 * real host ID replaces when it shows up (HostDirectories). Plugin infos and
 * MyInfo details come back with the pollers' next info refresh (until then the API serves
 * minimal infos from DS@); data is never lost since it is in the files. Only fills what is
 * missing, so it is safe while ingestion runs. At the end the index-complete marker is set.
 */
export async function rebuildIndex(opts: RebuildOptions): Promise<RebuildResult> {
  const result: RebuildResult = { hosts: 0, plugins: 0, dataSources: 0, hostsWithoutMarker: 0 };
  for (const hashDir of await directories(opts.wspRoot)) {
    if (!/^[0-9a-f]{1,32}$/.test(hashDir)) continue;
    for (const hostName of await directories(join(opts.wspRoot, hashDir))) {
      const dir = containedPath(opts.wspRoot, hashDir, hostName);
      const { hostId, guessed } = await identifyHostDirectory(dir);
      if (guessed) result.hostsWithoutMarker++;
      const { plugins, newest } = await scanHostDirectory(dir);
      await opts.index.recordRebuiltHost({ hostId, hash: hashDir, dir }, plugins, newest);
      result.hosts++;
      result.plugins += plugins.size;
      for (const p of plugins.values()) result.dataSources += p.dataSources.length;
    }
  }
  await opts.index.markComplete(wholeSecondsOf(opts.clock));
  opts.logger?.info(result, 'index rebuilt from the file tree');
  return result;
}
