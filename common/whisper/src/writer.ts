/**
 * WhisperWriter: the long-lived object the storage service writes through. It keeps
 * file descriptors and parsed headers open between calls (bounded by an LRU on open
 * files) so a single-point update costs a handful of positioned reads and writes and
 * no header parsing. It assumes it is the only writer of its files: if a file is
 * deleted, recreated or changed elsewhere, call forget(path).
 */
import { createFile, currentTime } from './api.js';
import { TimestampNotCoveredError, WhisperError } from './errors.js';
import { fileFetch } from './fetch.js';
import { type OpenFile, readHeader, toInfo } from './header.js';
import { closeFile, openFile } from './io.js';
import type { ArchiveSpec, CreateOptions, FetchResult, WhisperInfo } from './types.js';
import { fileUpdate, fileUpdateMany } from './update.js';

export interface WhisperWriterOptions {
  /** Files kept open at most; the least recently used is closed beyond that. @defaultValue 512 */
  maxOpenFiles?: number;
  /** Clock in whole seconds. @defaultValue int(Date.now() / 1000) */
  now?: () => number;
}

export interface WhisperWriterStats {
  openFiles: number;
  pointsWritten: number;
  cacheHits: number;
  cacheMisses: number;
}

export class WhisperWriter {
  /** Counters since construction (monotonic, except openFiles). */
  readonly stats: WhisperWriterStats = { openFiles: 0, pointsWritten: 0, cacheHits: 0, cacheMisses: 0 };
  private readonly maxOpenFiles: number;
  private readonly now: () => number;
  // Map iteration order is insertion order: the first key is the least recently used.
  private readonly files = new Map<string, OpenFile>();
  private mru: OpenFile | undefined;
  private closed = false;

  constructor(opts: WhisperWriterOptions = {}) {
    const max = opts.maxOpenFiles ?? 512;
    if (!Number.isInteger(max) || max < 1) throw new WhisperError(`maxOpenFiles must be a positive integer, got ${max}`);
    this.maxOpenFiles = max;
    this.now = opts.now ?? currentTime;
  }

  /** Creates a file (the parent directory must exist). */
  create(path: string, archives: ArchiveSpec[], opts?: CreateOptions): void {
    this.assertOpen();
    this.forget(path);
    this.retryOnDescriptorShortage(() => createFile(path, archives, opts));
  }

  /**
   * Writes a batch (rules of updateMany()); returns the points accepted. `now` (whole seconds,
   * whisper's `now=`) decides which archives the points fall in; the writer's clock by default.
   */
  updateMany(path: string, points: ReadonlyArray<readonly [number, number]>, now: number = this.now()): number {
    if (points.length === 0) return 0;
    const f = this.acquire(path);
    let n: number;
    try {
      n = fileUpdateMany(f, points, now);
    } catch (e) {
      this.failed(path, e);
    }
    this.stats.pointsWritten += n;
    return n;
  }

  /** Writes one point with update()'s rules (throws when not covered); timestamp defaults to now. */
  update(path: string, value: number, timestamp?: number): void {
    const f = this.acquire(path);
    const now = this.now();
    try {
      fileUpdate(f, value, timestamp ?? now, now);
    } catch (e) {
      this.failed(path, e);
    }
    this.stats.pointsWritten += 1;
  }

  fetch(path: string, from: number, until?: number): FetchResult | null {
    const f = this.acquire(path);
    try {
      return fileFetch(f, from, until, this.now());
    } catch (e) {
      this.failed(path, e);
    }
  }

  info(path: string): WhisperInfo {
    return toInfo(this.acquire(path));
  }

  /** Closes and drops the cached handle and header of `path`, if any. */
  forget(path: string): void {
    const f = this.files.get(path);
    if (!f) return;
    this.files.delete(path);
    if (this.mru === f) this.mru = undefined;
    closeFile(f.fd);
    this.stats.openFiles = this.files.size;
  }

  /** Closes every file; the writer cannot be used afterwards. Idempotent. */
  close(): void {
    for (const f of this.files.values()) closeFile(f.fd);
    this.files.clear();
    this.mru = undefined;
    this.stats.openFiles = 0;
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new WhisperError('WhisperWriter is closed');
  }

  /** Rethrows; on any failure other than a rejected timestamp the cached state may be stale, so drop it. */
  private failed(path: string, e: unknown): never {
    if (!(e instanceof TimestampNotCoveredError)) this.forget(path);
    throw e;
  }

  /**
   * Runs `fn`; if the process ran out of file descriptors (maxOpenFiles above the ulimit,
   * or other code holding many), closes half of ours and tries once more.
   */
  private retryOnDescriptorShortage<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const code = (e as WhisperError).code;
      if ((code !== 'EMFILE' && code !== 'ENFILE') || this.files.size === 0) throw e;
      for (let n = Math.ceil(this.files.size / 2); n > 0; n--) this.evictOldest();
      return fn();
    }
  }

  private evictOldest(): void {
    const oldest = this.files.keys().next().value;
    if (oldest !== undefined) this.forget(oldest);
  }

  private acquire(path: string): OpenFile {
    const cached = this.files.get(path);
    if (cached) {
      this.stats.cacheHits++;
      if (this.mru !== cached) {
        this.files.delete(path);
        this.files.set(path, cached);
        this.mru = cached;
      }
      return cached;
    }
    this.assertOpen();
    this.stats.cacheMisses++;
    const fd = this.retryOnDescriptorShortage(() => openFile(path, 'r+'));
    let f: OpenFile;
    try {
      f = { fd, path, header: readHeader({ fd, path }) };
    } catch (e) {
      closeFile(fd);
      throw e;
    }
    if (this.files.size >= this.maxOpenFiles) this.evictOldest();
    this.files.set(path, f);
    this.mru = f;
    this.stats.openFiles = this.files.size;
    return f;
  }
}
