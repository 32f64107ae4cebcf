import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { HostLocation, IndexWriter } from '../index/index-writer.js';
import { scanHostDirectory } from './host-scan.js';
import {
  collisionSuffix,
  containedPath,
  filteredHostId,
  HOST_MARKER_FILE,
  hostDirectoryWithHash,
  hostHashPrefix,
  UnsafePathError,
} from './layout.js';

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
  /**
   * Written by an index rebuild for a directory that had no marker (the original's): the ID
   * is the directory name, a guess. The first host whose filtered ID is that name takes
   * the directory over, and the guessed entry leaves the index.
   */
  guessed?: boolean;
}

export class HostDirectoryCollisionError extends Error {
  override name = 'HostDirectoryCollisionError';
}

export interface HostDirectoriesOptions {
  wspRoot: string;
  hashChars: number;
  index: IndexWriter;
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
    this.owners = undefined;
  }

  stats(): Record<string, number> {
    return { ...this.counters, knownHosts: this.known.size };
  }

  private async resolve(hostId: string): Promise<HostLocation> {
    const stored = await this.opts.index.hostLocation(hostId);
    let location: HostLocation;
    let replaced: string | undefined;
    if (stored.dir && stored.hash) {
      const dir = containedPath(this.opts.wspRoot, stored.dir);
      if (dir !== stored.dir) throw new UnsafePathError(`WSP_PATH of ${JSON.stringify(hostId)} is not a normalised path under wsp_path`);
      location = { hostId, hash: stored.hash, dir };
      await this.claimDirectory(location.dir, hostId);
    } else {
      const hash = stored.hash ?? hostHashPrefix(hostId, this.opts.hashChars);
      const chosen = await this.chooseDirectory(hostId, hash);
      replaced = chosen.replaced;
      const winner = await this.opts.index.claimHostLocation({ hostId, hash, dir: chosen.dir });
      location = { hostId, hash: winner.hash, dir: containedPath(this.opts.wspRoot, winner.dir) };
    }
    if (replaced && replaced !== hostId) await this.adoptGuessedHost(replaced, location);
    if (this.known.size >= MAX_KNOWN_HOSTS) this.known.clear(); // a flood of host IDs cannot grow memory forever
    this.known.set(hostId, location);
    this.counters.hostsLocated++;
    return location;
  }

  /** The real host took over a rebuilt directory: its files go to its index entries, the guess goes away. */
  private async adoptGuessedHost(guessedId: string, location: HostLocation): Promise<void> {
    const { plugins, newest } = await scanHostDirectory(location.dir);
    await this.opts.index.recordRebuiltHost(location, plugins, newest);
    await this.opts.index.removeHost(guessedId);
    this.known.delete(guessedId);
  }

  private async chooseDirectory(hostId: string, hash: string): Promise<Claim & { dir: string }> {
    this.owners ??= await this.opts.index.directoryOwners();
    const plain = hostDirectoryWithHash(this.opts.wspRoot, hostId, hash);
    const first = await this.tryDirectory(plain, hostId);
    if (first.ok) return { ...first, dir: plain };
    this.counters.collisions++;
    const suffixed = hostDirectoryWithHash(this.opts.wspRoot, hostId, hash, collisionSuffix(hostId));
    const second = await this.tryDirectory(suffixed, hostId);
    if (second.ok) return { ...second, dir: suffixed };
    throw new HostDirectoryCollisionError(
      `no free directory for host ${JSON.stringify(hostId)} (${plain} and ${suffixed} belong to other hosts)`,
    );
  }

  /** WSP_PATH giving the directory to another host (e.g. an original host whose directory has no marker yet) means taken. */
  private async tryDirectory(dir: string, hostId: string): Promise<Claim> {
    const owner = this.owners?.get(dir);
    if (owner !== undefined && owner !== hostId && !isGuessFor(await readHostMarker(dir), dir, hostId)) return { ok: false };
    const claim = await this.claimDirectory(dir, hostId);
    if (claim.ok) this.owners?.set(dir, hostId);
    return claim;
  }

  /**
   * Creates the directory and its marker; ok if the directory is (now) this host's. A
   * directory without a marker (written by the original Numeter), or with a guessed one
   * matching this host's filtered ID, is taken over.
   */
  private async claimDirectory(dir: string, hostId: string): Promise<Claim> {
    await mkdir(dir, { recursive: true });
    const markerFile = join(dir, HOST_MARKER_FILE);
    const content = `${JSON.stringify({ hostId } satisfies HostMarker)}\n`;
    try {
      await writeFile(markerFile, content, { flag: 'wx' });
      return { ok: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const marker = await readHostMarker(dir);
    if (marker?.hostId === hostId) {
      if (marker.guessed) await writeFile(markerFile, content); // the guess is confirmed by the host itself
      return { ok: true };
    }
    if (marker !== null && !isGuessFor(marker, dir, hostId)) return { ok: false };
    await writeFile(markerFile, content);
    return { ok: true, replaced: marker?.hostId };
  }
}

interface Claim {
  ok: boolean;
  /** The guessed host ID whose directory this host took over. */
  replaced?: string;
}

function isGuessFor(marker: HostMarker | null, dir: string, hostId: string): boolean {
  return marker?.guessed === true && basename(dir) === filteredHostId(hostId);
}

/** The marker of a host directory, or null when there is no readable one. */
export async function readHostMarker(dir: string): Promise<HostMarker | null> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, HOST_MARKER_FILE), 'utf8')) as Partial<HostMarker>;
    return typeof parsed.hostId === 'string' ? { hostId: parsed.hostId, guessed: parsed.guessed === true } : null;
  } catch {
    return null;
  }
}

/**
 * Read-only: the directory of a host's files when the index does not know it (the index
 * was lost and is not rebuilt yet), found by the rules above: the plain or the suffixed
 * directory under md5(hostID)[:hashChars], if its marker names this host (or is a guess
 * for it), or, for the plain one, if it has no marker (the original's). Null otherwise.
 */
export async function findHostDirectory(wspRoot: string, hashChars: number, hostId: string): Promise<string | null> {
  let plain: string;
  let suffixed: string;
  try {
    const hash = hostHashPrefix(hostId, hashChars);
    plain = hostDirectoryWithHash(wspRoot, hostId, hash);
    suffixed = hostDirectoryWithHash(wspRoot, hostId, hash, collisionSuffix(hostId));
  } catch (error) {
    if (error instanceof UnsafePathError) return null; // such a host can have no directory
    throw error;
  }
  for (const dir of [plain, suffixed]) {
    const marker = await readHostMarker(dir);
    if (marker?.hostId === hostId || isGuessFor(marker, dir, hostId)) return dir;
    if (marker === null && dir === plain && (await isDirectory(dir))) return dir;
  }
  return null;
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
