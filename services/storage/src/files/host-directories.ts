import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostLocation, StorageIndex } from '../index/storage-index.js';
import { collisionSuffix, containedPath, HOST_MARKER_FILE, hostDirectoryWithHash, hostHashPrefix, UnsafePathError } from './layout.js';

/**
 * Finds (or fixes, at first sight) the directory of a host, as the original did:
 * `<wsp_path>/<md5(hostID)[:N]>/<filtered hostID>`, with the hash remembered in HOST_ID
 * and the directory in WSP_PATH. Two differences:
 * - the real host ID is written to `<dir>/.numeter-host.json`, so a rebuilt index is exact;
 * - two host IDs that filter to the same name under the same hash (`a.b` and `ab`) would
 *   share a directory in the original; here the second one sees the other's marker and
 *   gets `<filtered>_<md5(hostID)[:8]>` instead.
 * Locations are memoised: they never change while the process runs.
 */
export interface HostMarker {
  hostId: string;
}

export class HostDirectoryCollisionError extends Error {
  override name = 'HostDirectoryCollisionError';
}

export interface HostDirectoriesOptions {
  wspRoot: string;
  hashChars: number;
  index: StorageIndex;
}

const MAX_KNOWN_HOSTS = 200_000;

export class HostDirectories {
  private readonly known = new Map<string, HostLocation>();
  private readonly pending = new Map<string, Promise<HostLocation>>();
  private readonly counters = { hostsLocated: 0, collisions: 0 };
  /** WSP_PATH reversed (directory → host), loaded once when the first new host appears. */
  private owners: Map<string, string> | undefined;

  constructor(private readonly opts: HostDirectoriesOptions) {}

  /** Memoised location; throws UnsafePathError for a host ID that cannot be a directory. */
  locate(hostId: string): Promise<HostLocation> | HostLocation {
    const known = this.known.get(hostId);
    if (known) return known;
    let promise = this.pending.get(hostId);
    if (!promise) {
      promise = this.resolve(hostId).finally(() => this.pending.delete(hostId));
      this.pending.set(hostId, promise);
    }
    return promise;
  }

  /** Forget memoised locations (after an index rebuild or a host removal). */
  forget(hostId?: string): void {
    if (hostId === undefined) this.known.clear();
    else this.known.delete(hostId);
  }

  stats(): Record<string, number> {
    return { ...this.counters, knownHosts: this.known.size };
  }

  private async resolve(hostId: string): Promise<HostLocation> {
    const stored = await this.opts.index.hostLocation(hostId);
    let location: HostLocation;
    if (stored.dir && stored.hash) {
      const dir = containedPath(this.opts.wspRoot, stored.dir);
      if (dir !== stored.dir) throw new UnsafePathError(`WSP_PATH of ${JSON.stringify(hostId)} is not a normalised path under wsp_path`);
      location = { hostId, hash: stored.hash, dir };
      await this.claimDirectory(location.dir, hostId);
    } else {
      const hash = stored.hash ?? hostHashPrefix(hostId, this.opts.hashChars);
      const dir = await this.chooseDirectory(hostId, hash);
      const winner = await this.opts.index.claimHostLocation({ hostId, hash, dir });
      location = { hostId, hash: winner.hash, dir: containedPath(this.opts.wspRoot, winner.dir) };
    }
    if (this.known.size >= MAX_KNOWN_HOSTS) this.known.clear(); // a flood of host IDs cannot grow memory forever
    this.known.set(hostId, location);
    this.counters.hostsLocated++;
    return location;
  }

  private async chooseDirectory(hostId: string, hash: string): Promise<string> {
    this.owners ??= await this.opts.index.directoryOwners();
    const plain = hostDirectoryWithHash(this.opts.wspRoot, hostId, hash);
    if (this.isFree(plain, hostId) && (await this.claimDirectory(plain, hostId))) return this.own(plain, hostId);
    this.counters.collisions++;
    const suffixed = hostDirectoryWithHash(this.opts.wspRoot, hostId, hash, collisionSuffix(hostId));
    if (this.isFree(suffixed, hostId) && (await this.claimDirectory(suffixed, hostId))) return this.own(suffixed, hostId);
    throw new HostDirectoryCollisionError(
      `no free directory for host ${JSON.stringify(hostId)} (${plain} and ${suffixed} belong to other hosts)`,
    );
  }

  /** Free unless WSP_PATH gives it to another host (e.g. an original host whose directory has no marker yet). */
  private isFree(dir: string, hostId: string): boolean {
    const owner = this.owners?.get(dir);
    return owner === undefined || owner === hostId;
  }

  private own(dir: string, hostId: string): string {
    this.owners?.set(dir, hostId);
    return dir;
  }

  /**
   * Creates the directory and its marker; true if the directory is (now) this host's.
   * A directory without a marker (written by the original Numeter) is taken over.
   */
  private async claimDirectory(dir: string, hostId: string): Promise<boolean> {
    await mkdir(dir, { recursive: true });
    const marker = join(dir, HOST_MARKER_FILE);
    try {
      await writeFile(marker, `${JSON.stringify({ hostId } satisfies HostMarker)}\n`, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readHostMarker(dir);
    return owner === null || owner === hostId;
  }
}

/** The host ID recorded in a host directory, or null when there is no readable marker. */
export async function readHostMarker(dir: string): Promise<string | null> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, HOST_MARKER_FILE), 'utf8')) as Partial<HostMarker>;
    return typeof parsed.hostId === 'string' ? parsed.hostId : null;
  } catch {
    return null;
  }
}
