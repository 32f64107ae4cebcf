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
 * Where a host's files live: every rule in this module, in the order they apply (layout.ts
 * only turns names into checked paths; the index stores the result).
 *
 * 1. A location fixed before is kept: HOST_ID and WSP_PATH in the index name it (checked
 *    to lie under wsp_path); its marker is written if it went missing.
 * 2. Otherwise the hash is HOST_ID's if recorded (changing wsp_path_md5_char later moves
 *    nobody), else md5(hostID)[:wsp_path_md5_char].
 * 3. The candidates are `<hash>/<filtered ID>` (the original's), then
 *    `<hash>/<filtered ID>_<md5(hostID)[:8]>` for a second ID filtering to the same name.
 * 4. A candidate is this host's unless WSP_PATH gives it to another host, or its marker
 *    `.numeter-host.json` names another host. A directory without marker (the original's)
 *    is taken over; so is one whose marker is a rebuild's guess for this host's filtered
 *    ID. Creating the marker with O_EXCL settles races between storage processes.
 * 5. The index records the location with HSETNX: the first process to record wins.
 * 6. A host that took over a guessed directory gets its files indexed under its real ID,
 *    and the guessed ID leaves the index.
 *
 * The rebuild names each directory by rule 4 read backwards (`identifyHostDirectory`), and
 * the API finds a host the index does not locate by rules 2-4 alone (`findHostDirectory`).
 * Locations are memoised: they never change while the process runs.
 */
export interface HostMarker {
  hostId: string;
  /** Written by a rebuild for a directory without marker: the ID is the directory's name, a guess. */
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

/** What a directory's marker says about one host ID (rule 4). */
type Verdict = 'mine' | 'free' | 'guess' | 'taken';

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
    if (stored.dir && stored.hash) return this.remember(await this.keepStored(hostId, stored.hash, stored.dir));
    const hash = stored.hash ?? hostHashPrefix(hostId, this.opts.hashChars);
    const chosen = await this.claimFirstFree(hostId, hash);
    const winner = await this.opts.index.claimHostLocation({ hostId, hash, dir: chosen.dir });
    const location = { hostId, hash: winner.hash, dir: containedPath(this.opts.wspRoot, winner.dir) };
    if (chosen.guessedId !== undefined && chosen.guessedId !== hostId) await this.adoptGuessedHost(chosen.guessedId, location);
    return this.remember(location);
  }

  /** Rule 1. */
  private async keepStored(hostId: string, hash: string, stored: string): Promise<HostLocation> {
    const dir = containedPath(this.opts.wspRoot, stored);
    if (dir !== stored) throw new UnsafePathError(`WSP_PATH of ${JSON.stringify(hostId)} is not a normalised path under wsp_path`);
    await this.claimDirectory(dir, hostId);
    return { hostId, hash, dir };
  }

  /** Rules 3 and 4. */
  private async claimFirstFree(hostId: string, hash: string): Promise<{ dir: string; guessedId?: string }> {
    this.owners ??= await this.opts.index.directoryOwners();
    const candidates = candidateDirectories(this.opts.wspRoot, hostId, hash);
    for (const [i, dir] of candidates.entries()) {
      if (i > 0) this.counters.collisions++;
      const owner = this.owners.get(dir);
      if (owner !== undefined && owner !== hostId && verdict(await readHostMarker(dir), dir, hostId) !== 'guess') continue;
      const claim = await this.claimDirectory(dir, hostId);
      if (claim === null) continue;
      this.owners.set(dir, hostId);
      return { dir, guessedId: claim.guessedId };
    }
    throw new HostDirectoryCollisionError(
      `no free directory for host ${JSON.stringify(hostId)} (${candidates.join(' and ')} belong to other hosts)`,
    );
  }

  /** Creates the directory and its marker; null when the marker names another host (rule 4). */
  private async claimDirectory(dir: string, hostId: string): Promise<{ guessedId?: string } | null> {
    await mkdir(dir, { recursive: true });
    const markerFile = join(dir, HOST_MARKER_FILE);
    const content = `${JSON.stringify({ hostId } satisfies HostMarker)}\n`;
    try {
      await writeFile(markerFile, content, { flag: 'wx' });
      return {};
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const marker = await readHostMarker(dir);
    switch (verdict(marker, dir, hostId)) {
      case 'taken':
        return null;
      case 'mine':
        if (marker?.guessed) await writeFile(markerFile, content); // the host confirms the guess itself
        return {};
      default:
        await writeFile(markerFile, content);
        return { guessedId: marker?.hostId };
    }
  }

  /** Rule 6. */
  private async adoptGuessedHost(guessedId: string, location: HostLocation): Promise<void> {
    const { plugins, newest } = await scanHostDirectory(location.dir);
    await this.opts.index.recordRebuiltHost(location, plugins, newest);
    await this.opts.index.removeHost(guessedId);
    this.known.delete(guessedId);
  }

  private remember(location: HostLocation): HostLocation {
    if (this.known.size >= MAX_KNOWN_HOSTS) this.known.clear(); // a flood of host IDs cannot grow memory forever
    this.known.set(location.hostId, location);
    this.counters.hostsLocated++;
    return location;
  }
}

/** Rule 3: the plain directory, then the collision one. */
function candidateDirectories(wspRoot: string, hostId: string, hash: string): [string, string] {
  return [hostDirectoryWithHash(wspRoot, hostId, hash), hostDirectoryWithHash(wspRoot, hostId, hash, collisionSuffix(hostId))];
}

/** Rule 4, from the marker alone (null: none, or unreadable). */
function verdict(marker: HostMarker | null, dir: string, hostId: string): Verdict {
  if (marker === null) return 'free';
  if (marker.hostId === hostId) return 'mine';
  return marker.guessed === true && basename(dir) === filteredHostId(hostId) ? 'guess' : 'taken';
}

/**
 * Read-only (the API, when the index does not locate a host): rules 2-4 against the tree
 * alone. The plain directory without a marker counts (the original's); null when none fits.
 */
export async function findHostDirectory(wspRoot: string, hashChars: number, hostId: string): Promise<string | null> {
  let candidates: [string, string];
  try {
    candidates = candidateDirectories(wspRoot, hostId, hostHashPrefix(hostId, hashChars));
  } catch (error) {
    if (error instanceof UnsafePathError) return null; // such a host can have no directory
    throw error;
  }
  for (const [i, dir] of candidates.entries()) {
    const marker = await readHostMarker(dir);
    const found = verdict(marker, dir, hostId);
    if (found === 'mine' || found === 'guess') return dir;
    if (found === 'free' && i === 0 && (await isDirectory(dir))) return dir;
  }
  return null;
}

/**
 * The rebuild's rule 4 read backwards: the host ID of a directory is its marker's; a
 * directory without one (the original's) is named by its filtered name, and gets a marker
 * flagged as a guess, which the real host ID replaces when it shows up (rule 6).
 */
export async function identifyHostDirectory(dir: string): Promise<{ hostId: string; guessed: boolean }> {
  const marker = await readHostMarker(dir);
  if (marker) return { hostId: marker.hostId, guessed: false };
  const guess: HostMarker = { hostId: basename(dir), guessed: true };
  await writeFile(join(dir, HOST_MARKER_FILE), `${JSON.stringify(guess)}\n`, { flag: 'wx' }).catch(() => {});
  return { hostId: guess.hostId, guessed: true };
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

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}
