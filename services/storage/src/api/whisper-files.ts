import { type FileHandle, open, stat } from 'node:fs/promises';
import { CorruptWhisperFileError, WhisperError } from '../../../../common/whisper/index.js';
import type { SeriesFetch, SeriesValues, WhisperReader } from './deps.js';
import {
  decodeSlots,
  type FileHeader,
  firstSlot,
  headerSize,
  POINT_SIZE,
  parseHeader,
  planFetch,
  type ReadPlan,
  sameLayout,
} from './whisper-header.js';

/**
 * Whisper files read asynchronously (node's thread pool does the reads), so a render of
 * a thousand files never holds the event loop: each file costs a few short callbacks,
 * and other requests (`/health`) are served in between. At most `parallel` files are
 * being read at once. Open handles are kept (a bounded LRU): a render of 1,000 files then
 * costs a read and a stat per file instead of open + read + close, the stat running beside
 * the read and proving the path still names the same file (inode and device: a file
 * replaced or removed is reopened, its read thrown away). Errors are common/whisper's (`CorruptWhisperFileError` with the bare
 * reason, `WhisperError` with the errno `code`), so callers treat both readers alike.
 */
const HEADER_READ = 4096;

export interface WhisperFilesOptions {
  /** Files open at once, at most. */
  parallel?: number;
  /** Headers kept in memory (plans are made from them without touching the disk). */
  cachedHeaders?: number;
  /** File handles kept open between reads (least recently used closed first). */
  cachedHandles?: number;
}

interface CachedHandle {
  handle: FileHandle;
  ino: number;
  dev: number;
  /** Reads using the handle now: an evicted handle is closed when the last one ends. */
  users: number;
  evicted: boolean;
}

export class WhisperFiles implements WhisperReader {
  private active = 0;
  private most = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly parallel: number;
  private readonly cachedHeaders: number;
  private readonly headers = new Map<string, FileHeader>();
  private readonly cachedHandles: number;
  private readonly handles = new Map<string, CachedHandle>();
  /** Read buffers given back after decoding, reused instead of allocating one per file. */
  private readonly spare: Buffer[] = [];

  constructor(options: WhisperFilesOptions = {}) {
    this.parallel = options.parallel ?? 16;
    this.cachedHeaders = options.cachedHeaders ?? 20_000;
    this.cachedHandles = options.cachedHandles ?? 1_024;
  }

  /** Handles kept open between reads. */
  get openHandles(): number {
    return this.handles.size;
  }

  /** Closes every kept handle (the API's stop); reads in flight close theirs when they end. */
  async close(): Promise<void> {
    const entries = [...this.handles.entries()];
    await Promise.all(entries.map(([path, entry]) => this.evict(path, entry)));
  }

  /**
   * The file's header, from memory when it was read before: headers change only when an
   * operator resizes a file, and every fetch reads the header again (and refreshes it
   * here), so a plan made from a stale one is off for one request at most.
   */
  async header(path: string): Promise<FileHeader> {
    const known = this.headers.get(path);
    if (known) return known;
    return this.remember(path, await this.withFile(path, (file) => readHeader(file, path)));
  }

  /** The values with null where nothing is stored, as common/whisper's fetch gives them (/data). */
  async fetch(path: string, from: number, until: number, options: { now: number }): Promise<SeriesFetch | null> {
    const data = await this.fetchValues(path, from, until, options);
    if (data === null) return null;
    return { ...data, values: Array.from(data.values, (v) => (Number.isNaN(v) ? null : v)) };
  }

  fetchValues(path: string, from: number, until: number, options: { now: number }): Promise<SeriesValues | null> {
    return this.withFile(path, async (file) => {
      const quick = await this.fetchFirstArchive(file, path, from, until, options.now);
      if (quick !== undefined) return quick;
      const header = this.remember(path, await readHeader(file, path));
      const plan = planFetch(header, from, until, options.now);
      return plan === null ? null : answer(plan, await readSlots(file, plan, path));
    });
  }

  /**
   * The common case (recent windows, served by the first archive) in one read: the
   * header, which checks the cached one the plan was made from, and the whole first
   * archive. Undefined when that does not apply or the file no longer matches the cache.
   */
  private async fetchFirstArchive(
    file: FileHandle,
    path: string,
    from: number,
    until: number,
    now: number,
  ): Promise<SeriesValues | null | undefined> {
    const cached = this.headers.get(path);
    const plan = cached ? planFetch(cached, from, until, now) : null;
    if (!cached || plan === null || plan.archive !== cached.archives[0] || !worthWholeArchive(plan)) return undefined;
    const size = plan.archive.offset + plan.archive.points * POINT_SIZE;
    const buf = this.borrow(size);
    try {
      const got = await readFully(file, buf, 0, path, size);
      if (got < size || headerSize(buf, got, path) > size) return undefined;
      const header = parseHeader(buf, path);
      if (!sameLayout(header, cached)) return undefined;
      this.remember(path, header);
      const ring = new DataView(buf.buffer, buf.byteOffset + plan.archive.offset, plan.archive.points * POINT_SIZE);
      return answer(plan, decodeSlots(plan, ring, 0, plan.archive.points, ring.getUint32(0)));
    } finally {
      this.giveBack(buf);
    }
  }

  /** A buffer of at least `size` bytes (its values are decoded before it is given back). */
  private borrow(size: number): Buffer {
    const index = this.spare.findIndex((b) => b.length >= size);
    if (index >= 0) return this.spare.splice(index, 1)[0];
    return Buffer.allocUnsafe(Math.max(size, 32 * 1024));
  }

  private giveBack(buf: Buffer): void {
    if (this.spare.length < this.parallel && buf.length <= 1024 * 1024) this.spare.push(buf);
  }

  /** Files open now, and the most that were open at once (for tests and metrics). */
  get openFiles(): number {
    return this.active;
  }

  get mostOpen(): number {
    return this.most;
  }

  private remember(path: string, header: FileHeader): FileHeader {
    this.headers.delete(path);
    this.headers.set(path, header);
    if (this.headers.size > this.cachedHeaders) this.headers.delete(this.headers.keys().next().value as string);
    return header;
  }

  private async withFile<T>(path: string, work: (file: FileHandle) => Promise<T>): Promise<T> {
    await this.slot();
    try {
      const cached = this.handles.get(path);
      if (cached) {
        // The check and the read side by side: one round trip to the thread pool, not two.
        const [same, result] = await Promise.all([this.sameFile(path, cached), settle(this.use(cached, work))]);
        if (same) {
          // Most recently used last: the LRU closes from the front.
          if (this.handles.get(path) === cached) {
            this.handles.delete(path);
            this.handles.set(path, cached);
          }
          return unwrap(result);
        }
        await this.evict(path, cached);
      }
      return await this.use(await this.openHandle(path), work);
    } finally {
      this.release();
    }
  }

  private async openHandle(path: string): Promise<CachedHandle> {
    let handle: FileHandle;
    let identity: { ino: number; dev: number };
    try {
      handle = await this.openOrShed(path);
      identity = await handle.stat().catch(async (error) => {
        await handle.close().catch(() => {});
        throw error;
      });
    } catch (error) {
      this.headers.delete(path);
      throw new WhisperError(`Cannot open whisper file ${path}: ${(error as Error).message}`, { path, cause: error });
    }
    const entry: CachedHandle = { handle, ino: identity.ino, dev: identity.dev, users: 0, evicted: false };
    const previous = this.handles.get(path);
    if (previous) await this.evict(path, previous);
    this.handles.set(path, entry);
    while (this.handles.size > this.cachedHandles) {
      const [oldest, old] = this.handles.entries().next().value as [string, CachedHandle];
      await this.evict(oldest, old);
    }
    return entry;
  }

  /** Out of descriptors (EMFILE: ulimit -n is shared with the writer's cache): close half of the kept handles, try once more. */
  private async openOrShed(path: string): Promise<FileHandle> {
    try {
      return await open(path, 'r');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if ((code !== 'EMFILE' && code !== 'ENFILE') || this.handles.size === 0) throw error;
      const oldest = [...this.handles.entries()].slice(0, Math.ceil(this.handles.size / 2));
      await Promise.all(oldest.map(([p, entry]) => this.evict(p, entry)));
      return open(path, 'r');
    }
  }

  /** The path still names the file the handle has open (not removed, not replaced by a rename). */
  private async sameFile(path: string, entry: CachedHandle): Promise<boolean> {
    try {
      const now = await stat(path);
      return now.ino === entry.ino && now.dev === entry.dev;
    } catch {
      return false;
    }
  }

  private async use<T>(entry: CachedHandle, work: (file: FileHandle) => Promise<T>): Promise<T> {
    entry.users++;
    try {
      return await work(entry.handle);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) await entry.handle.close().catch(() => {});
    }
  }

  private async evict(path: string, entry: CachedHandle): Promise<void> {
    if (this.handles.get(path) === entry) this.handles.delete(path);
    if (entry.evicted) return;
    entry.evicted = true;
    if (entry.users === 0) await entry.handle.close().catch(() => {});
  }

  private async slot(): Promise<void> {
    if (this.active < this.parallel) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.most = Math.max(this.most, this.active);
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

async function readHeader(file: FileHandle, path: string): Promise<FileHeader> {
  const first = Buffer.allocUnsafe(HEADER_READ);
  const got = await readFully(file, first, 0, path);
  const size = headerSize(first, got, path);
  if (size <= got) return parseHeader(first, path);
  const whole = Buffer.allocUnsafe(size);
  if ((await readFully(file, whole, 0, path)) < size) throw new CorruptWhisperFileError('Unable to read archive metadata', path);
  return parseHeader(whole, path);
}

/** Reading a whole archive costs one read; for a few slots of a long one, two small reads are cheaper. */
function worthWholeArchive(plan: ReadPlan): boolean {
  return plan.count * 4 >= plan.archive.points;
}

function answer(plan: ReadPlan, values: Float64Array): SeriesValues {
  return { start: plan.start, end: plan.start + plan.count * plan.step, step: plan.step, values };
}

/** The plan's values: the whole archive in one read, or its slot 0 (the ring's base) and then just the slots wanted. */
async function readSlots(file: FileHandle, plan: ReadPlan, path: string): Promise<Float64Array> {
  const { archive } = plan;
  if (worthWholeArchive(plan)) {
    const ring = await readExactly(file, archive.offset, archive.points * POINT_SIZE, path);
    return decodeSlots(plan, ring, 0, archive.points, ring.getUint32(0));
  }
  const base = (await readExactly(file, archive.offset, 4, path)).getUint32(0);
  if (base === 0) return decodeSlots(plan, new DataView(new ArrayBuffer(0)), 0, 0, 0);
  const first = firstSlot(plan, base);
  const count = Math.min(plan.count, archive.points);
  const inFirstLap = Math.min(count, archive.points - first);
  const buf = Buffer.allocUnsafe(count * POINT_SIZE);
  await readInto(file, buf.subarray(0, inFirstLap * POINT_SIZE), archive.offset + first * POINT_SIZE, path);
  if (inFirstLap < count) await readInto(file, buf.subarray(inFirstLap * POINT_SIZE), archive.offset, path);
  return decodeSlots(plan, new DataView(buf.buffer, buf.byteOffset, buf.length), first, count, base);
}

async function readExactly(file: FileHandle, position: number, length: number, path: string): Promise<DataView> {
  const buf = Buffer.allocUnsafe(length);
  await readInto(file, buf, position, path);
  return new DataView(buf.buffer, buf.byteOffset, length);
}

async function readInto(file: FileHandle, buf: Buffer, position: number, path: string): Promise<void> {
  if ((await readFully(file, buf, position, path)) < buf.length) throw new CorruptWhisperFileError('Unable to read datapoints', path);
}

/** Reads up to buf.length bytes at `position`; fewer only at the end of the file. */
async function readFully(file: FileHandle, buf: Buffer, position: number, path: string, length = buf.length): Promise<number> {
  let done = 0;
  while (done < length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await file.read(buf, done, length - done, position + done));
    } catch (error) {
      throw new WhisperError(`Cannot read whisper file ${path}: ${(error as Error).message}`, { path, cause: error });
    }
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error) => ({ ok: false, error }),
  );
}

function unwrap<T>(result: Settled<T>): T {
  if (result.ok) return result.value;
  throw result.error;
}
