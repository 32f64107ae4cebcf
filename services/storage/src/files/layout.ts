import { createHash } from 'node:crypto';
import { resolve, sep } from 'node:path';
import { nameProblem } from '../../../../common/schemas/index.js';

/**
 * The original Numeter file layout:
 *   <wsp_path>/<md5(hostID)[:N]>/<hostID without space " / . '>/<plugin>/<ds>.wsp
 * Every name is checked with the shared safe-name rules and every path is resolved and
 * checked to stay under wsp_path, so nothing from a poller can point elsewhere.
 */
export class UnsafePathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

export function hostHashPrefix(hostId: string, chars: number): string {
  return createHash('md5').update(hostId, 'utf8').digest('hex').slice(0, chars);
}

/** The original's `re.sub("[ \"/.']", "", hostID)`. */
export function filteredHostId(hostId: string): string {
  return hostId.replace(/[ "/.']/g, '');
}

function assertSafe(kind: string, name: string): void {
  const problem = nameProblem(name);
  if (problem) throw new UnsafePathError(`${kind} ${JSON.stringify(name.slice(0, 80))} ${problem}`);
}

/** Resolves `parts` under `root` and refuses anything that would leave it. */
export function containedPath(root: string, ...parts: string[]): string {
  const base = resolve(root);
  const full = resolve(base, ...parts);
  if (full !== base && !full.startsWith(base + sep)) {
    throw new UnsafePathError(`path ${JSON.stringify(parts.join('/'))} leaves ${base}`);
  }
  return full;
}

export function hostDirectory(wspRoot: string, hostId: string, hashChars: number): string {
  assertSafe('host ID', hostId);
  const filtered = filteredHostId(hostId);
  if (!filtered) throw new UnsafePathError(`host ID ${JSON.stringify(hostId)} has no characters left for a directory name`);
  return containedPath(wspRoot, hostHashPrefix(hostId, hashChars), filtered);
}

export function seriesFile(hostDir: string, plugin: string, dataSource: string): string {
  assertSafe('plugin', plugin);
  assertSafe('data source', dataSource);
  return containedPath(hostDir, plugin, `${dataSource}.wsp`);
}
