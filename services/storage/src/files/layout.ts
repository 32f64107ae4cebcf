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
  const problem = nameProblem(name) ?? (kind !== 'host ID' && name.startsWith('.') ? 'starts with a dot (hidden file)' : null);
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

/** Name of the file in each host directory that records the real host ID (for index rebuilds). */
export const HOST_MARKER_FILE = '.numeter-host.json';

/**
 * The host directory for an already fixed hash (HOST_ID keeps the prefix of the first
 * sight even if wsp_path_md5_char changes), optionally with a disambiguating suffix when
 * another host ID filters to the same name under the same prefix.
 */
export function hostDirectoryWithHash(wspRoot: string, hostId: string, hash: string, suffix = ''): string {
  assertSafe('host ID', hostId);
  if (!/^[0-9a-f]{1,32}$/.test(hash)) throw new UnsafePathError(`host hash ${JSON.stringify(hash)} is not hexadecimal`);
  const filtered = filteredHostId(hostId);
  if (!filtered) throw new UnsafePathError(`host ID ${JSON.stringify(hostId)} has no characters left for a directory name`);
  return containedPath(wspRoot, hash, filtered + suffix);
}

/** The suffix used when two host IDs filter to the same directory name: `_` + 8 hex of md5(hostID). */
export function collisionSuffix(hostId: string): string {
  return `_${hostHashPrefix(hostId, 8)}`;
}
