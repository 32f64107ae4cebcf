import { mkdir, unlink } from 'node:fs/promises';
import { type Component, Lifecycle, systemClock } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { silentLogger } from '../../../../common/logging/index.js';
import type { MessageInput } from '../../../../common/schemas/index.js';
import { acquireLock, availableBytes, readCursor, releaseLock, writeCursor } from './cursor.js';
import {
  type DropReason,
  defaultIo,
  type EncodedMessage,
  encodeValidMessages,
  type ResolvedSpoolOptions,
  resolveOptions,
  SpoolClosedError,
  type SpoolIo,
  type SpoolOptions,
  SpoolWriteError,
} from './options.js';
import { ReadPosition } from './reader.js';
import { encodeRecord, type SpoolRecord } from './record.js';
import {
  listSegments,
  noteAppended,
  oldestUnconfirmedTime,
  recoverSegment,
  type SegmentMeta,
  segmentLastTime,
  timeOfSeq,
  unconfirmedRecords,
} from './segment.js';
import { SegmentFiles } from './segment-files.js';

/**
 * Durable store-and-forward spool: append-only segment files of CRC-checked,
 * length-prefixed, numbered records, and a commit cursor that only confirms advance.
 * See docs/spool.md for the format, guarantees and loss windows.
 */
export class Spool implements Component {
  readonly name = 'spool';
  private readonly lifecycle = new Lifecycle({ start: () => this.openFiles(), stop: () => this.closeFiles() });
  /** Set by abandon(): the next close is a simulated crash. */
  private crashOnClose = false;
  private readonly opts: ResolvedSpoolOptions;
  private readonly nowMs: () => number;
  private readonly logger: Logger;
  private readonly io: SpoolIo;
  private readonly files: SegmentFiles;
  /** The files' list, oldest first (the same array, for the many reads of it here). */
  private readonly segments: SegmentMeta[];
  private cursor = 0;
  private persistedCursor = 0;
  private nextSeq = 0;
  private readonly readPos: ReadPosition;
  private chain: Promise<unknown> = Promise.resolve();
  private open = false;
  private diskFull = false;
  private timers: NodeJS.Timeout[] = [];
  private cursorTimer?: NodeJS.Timeout;
  private dataWaiters: Array<() => void> = [];
  private readonly counters = {
    appended: 0,
    confirmed: 0,
    dropped: 0,
    droppedSize: 0,
    droppedAge: 0,
    droppedDiskFull: 0,
    corrupt: 0,
    truncatedBytes: 0,
    invalid: 0,
    writeErrors: 0,
    read: 0,
  };

  constructor(options: SpoolOptions) {
    this.opts = resolveOptions(options);
    const clock = options.clock ?? systemClock;
    this.nowMs = () => clock.nowMs();
    this.logger = (options.logger ?? silentLogger()).child({ component: 'spool' });
    this.io = options.io ?? defaultIo;
    this.readPos = new ReadPosition(this.opts.readChunkBytes);
    this.files = new SegmentFiles(this.opts, this.nowMs);
    this.segments = this.files.segments;
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Waits for pending work, syncs data and cursor, closes. Needs no deadline: it waits on the local disk only. */
  stop(): Promise<void> {
    return this.lifecycle.stop();
  }

  /**
   * Simulates a crash for tests: closes the files without syncing or saving the cursor,
   * and leaves the lock file behind, as kill -9 would.
   */
  abandon(): Promise<void> {
    this.crashOnClose = true;
    return this.lifecycle.stop();
  }

  private async openFiles(): Promise<void> {
    await mkdir(this.opts.dir, { recursive: true });
    await acquireLock(this.opts.dir);
    try {
      await this.recover();
    } catch (error) {
      await releaseLock(this.opts.dir, false);
      throw error;
    }
    this.open = true;
    this.startTimers();
    await this.warnIfDiskTooSmall();
  }

  private async closeFiles(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.stopTimers();
    if (this.crashOnClose) {
      this.crashOnClose = false;
      await this.exclusive(() => this.files.abandon());
      await releaseLock(this.opts.dir, false);
      this.wakeReaders();
      return;
    }
    await this.exclusive(async () => {
      await this.files.closeActive(true);
      await writeCursor(this.opts.dir, this.cursor, this.opts.fsync !== 'never');
      this.persistedCursor = this.cursor;
    });
    await releaseLock(this.opts.dir, true);
    this.wakeReaders();
  }

  /**
   * Validates and appends messages in one write, in order. Resolves when they are written
   * (and fsynced under 'always'). Invalid messages are refused and counted, never stored;
   * on a full disk the batch is dropped and counted (no throw): collection goes on.
   */
  append(messages: MessageInput[]): Promise<void> {
    if (!this.open) return Promise.reject(new SpoolClosedError('spool is not started'));
    const payloads = this.encodeValid(messages);
    if (payloads.length === 0) return Promise.resolve();
    return this.exclusive(() => this.appendPayloads(payloads));
  }

  /**
   * Next records after the last ones read, oldest first, at most `max`. Reading does not
   * remove anything: only confirmThrough does.
   */
  read(max: number): Promise<SpoolRecord[]> {
    if (!this.open) return Promise.resolve([]);
    return this.exclusive(() => this.readNext(max));
  }

  /**
   * Resolves when records beyond the read position exist. Waiters pending when the spool
   * stops are woken; a closed spool makes new waiters wait for the next start and append.
   */
  waitForRecords(): Promise<void> {
    if (this.open && this.hasUnread()) return Promise.resolve();
    return new Promise((resolve) => this.dataWaiters.push(resolve));
  }

  /** Restarts reading at the first unconfirmed record (a forwarder that starts over). */
  rewind(): void {
    this.readPos.seek(this.segments, this.cursor, this.nextSeq);
  }

  /**
   * Marks every record up to `seq` as confirmed by the broker; `count` of them are new
   * confirms (counted). Deletes segments that are fully confirmed; the cursor file follows
   * within cursorSyncMs.
   */
  confirmThrough(seq: number, count: number): Promise<void> {
    if (!this.open || seq < this.cursor) return Promise.resolve();
    this.cursor = seq + 1;
    this.counters.confirmed += count;
    this.scheduleCursorWrite();
    const oldestDone = this.segments.length > 1 && this.segments[0].lastSeq < this.cursor;
    return oldestDone ? this.exclusive(() => this.deleteConfirmedSegments()) : Promise.resolve();
  }

  stats(): {
    records: number;
    bytes: number;
    oldestAgeSeconds: number;
    appended: number;
    confirmed: number;
    dropped: number;
    corrupt: number;
    [counter: string]: number;
  } {
    return {
      ...this.counters,
      fsyncs: this.files.fsyncs,
      records: this.unconfirmedRecords(),
      bytes: this.segments.reduce((sum, s) => sum + s.bytes, 0),
      oldestAgeSeconds: this.oldestAgeSeconds(),
      segments: this.segments.length,
      diskFull: this.diskFull ? 1 : 0,
      cursor: this.cursor,
      nextSeq: this.nextSeq,
    };
  }

  // ---- start-up --------------------------------------------------------------------

  private async recover(): Promise<void> {
    const cursor = await readCursor(this.opts.dir);
    if (!cursor.ok) this.logger.error({ reason: cursor.reason }, 'spool cursor unreadable: replaying every segment (duplicates, no loss)');
    this.cursor = cursor.ok ? cursor.next : 0;
    this.segments.length = 0;
    const names = await listSegments(this.opts.dir);
    for (const [i, firstSeq] of names.entries()) {
      const { meta, corrupt, truncatedBytes } = await recoverSegment(this.opts.dir, firstSeq, names[i + 1]);
      if (corrupt > 0 || truncatedBytes > 0) {
        this.counters.corrupt += corrupt;
        this.counters.truncatedBytes += truncatedBytes;
        this.logger.warn({ segment: meta.path, lostRecords: corrupt, truncatedBytes }, 'spool segment damaged: truncated or skipped');
      }
      if (meta.count === 0 || meta.lastSeq < this.cursor) await unlink(meta.path);
      else this.segments.push(meta);
    }
    if (!cursor.ok && this.segments.length > 0) this.cursor = this.segments[0].firstSeq;
    this.nextSeq = Math.max(this.cursor, ...this.segments.map((s) => s.lastSeq + 1));
    this.persistedCursor = this.cursor;
    await this.files.openForAppend(this.nextSeq);
    this.readPos.seek(this.segments, this.cursor, this.nextSeq);
    this.logger.info({ records: this.unconfirmedRecords(), segments: this.segments.length, cursor: this.cursor }, 'spool opened');
  }

  private async warnIfDiskTooSmall(): Promise<void> {
    const free = await availableBytes(this.opts.dir);
    if (free !== undefined && free + this.files.totalBytes() < this.opts.maxBytes) {
      this.logger.warn(
        { maxBytes: this.opts.maxBytes, availableBytes: free },
        'spool maxBytes exceeds the free disk space: the disk may fill first',
      );
    }
  }

  // ---- append ----------------------------------------------------------------------

  private encodeValid(messages: MessageInput[]): EncodedMessage[] {
    return encodeValidMessages(messages, (reason, hostId) => {
      this.counters.invalid++;
      this.logger.error({ reason, hostId }, 'refused to spool an invalid message');
    });
  }

  private async appendPayloads(payloads: EncodedMessage[]): Promise<void> {
    // Appends accepted before stop() run before it closes the segment: no open check here.
    const appendedAt = this.nowMs();
    await this.expireOld();
    let active = this.files.activeSegment();
    if (this.files.shouldRoll(active)) active = await this.files.roll(this.nextSeq);
    const firstSeq = this.nextSeq;
    const records = payloads.map((message, i) => encodeRecord(firstSeq + i, appendedAt, message.payload, message.route));
    const batch = records.length === 1 ? records[0] : Buffer.concat(records);
    await this.makeRoom(batch.length);
    active = this.files.activeSegment();
    if (!(await this.writeBatch(active, batch, payloads.length))) return;
    for (const [i, record] of records.entries()) noteAppended(active, firstSeq + i, appendedAt, record.length);
    this.nextSeq += records.length;
    this.counters.appended += records.length;
    await this.files.written();
    this.wakeReaders();
  }

  /** Writes the batch; false when it was dropped because the disk is full. */
  private async writeBatch(active: SegmentMeta, batch: Buffer, count: number): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.io.write(this.files.activeHandle(), batch);
        if (this.diskFull) this.logger.info('spool disk has room again');
        this.diskFull = false;
        return true;
      } catch (error) {
        this.counters.writeErrors++;
        // A failed write may have left part of the batch: cut it so no torn record sits mid-file.
        await this.files.activeHandle().truncate(active.bytes);
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOSPC' && code !== 'EDQUOT') throw new SpoolWriteError(`writing ${active.path} failed`, { cause: error });
        if (attempt === 0 && this.segments.length > 1) {
          await this.dropOldest('disk-full');
          continue;
        }
        this.countDrop('disk-full', count, this.nowMs(), this.nowMs());
        if (!this.diskFull)
          this.logger.error({ reason: (error as Error).message }, 'spool disk full: dropping new messages until there is room');
        this.diskFull = true;
        return false;
      }
    }
  }

  private async makeRoom(bytes: number): Promise<void> {
    while (this.files.totalBytes() + bytes > this.opts.maxBytes && (this.segments.length > 1 || this.files.activeSegment().count > 0)) {
      await this.dropOldest('size');
    }
  }

  private async expireOld(): Promise<void> {
    const oldestAllowed = this.nowMs() - this.opts.maxAgeSeconds * 1000;
    while (this.segments.length > 0 && this.segments[0].count > 0 && (segmentLastTime(this.segments[0]) ?? 0) < oldestAllowed) {
      await this.dropOldest('age');
    }
  }

  /** Deletes the oldest segment, counting its unconfirmed records as dropped. */
  private async dropOldest(reason: DropReason): Promise<void> {
    if (this.segments.length === 1) await this.files.roll(this.nextSeq);
    const oldest = this.segments.shift() as SegmentMeta;
    await unlink(oldest.path).catch((err: Error) => this.logger.error({ reason: err.message }, 'could not delete a spool segment'));
    const firstUnconfirmed = Math.max(this.cursor, oldest.firstSeq);
    if (oldest.lastSeq >= firstUnconfirmed) {
      const lost = firstUnconfirmed === oldest.firstSeq ? oldest.count : oldest.lastSeq - firstUnconfirmed + 1;
      this.countDrop(reason, lost, timeOfSeq(oldest, firstUnconfirmed) ?? 0, segmentLastTime(oldest) ?? 0);
      this.cursor = oldest.lastSeq + 1;
      this.scheduleCursorWrite();
    }
    this.readPos.segmentDropped(oldest, this.segments, this.cursor, this.nextSeq);
  }

  private countDrop(reason: DropReason, records: number, fromMs: number, toMs: number): void {
    this.counters.dropped += records;
    if (reason === 'size') this.counters.droppedSize += records;
    else if (reason === 'age') this.counters.droppedAge += records;
    else this.counters.droppedDiskFull += records;
    this.logger.warn({ reason, records, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() }, 'spool dropped records');
  }

  // ---- read and confirm ------------------------------------------------------------

  private async readNext(max: number): Promise<SpoolRecord[]> {
    await this.expireOld();
    const records = await this.readPos.read(this.segments, max, (segment, offset) => {
      this.counters.corrupt++;
      this.logger.error({ segment: segment.path, offset }, 'spool segment damaged while reading: skipping its rest');
    });
    this.counters.read += records.length;
    return records;
  }

  private async deleteConfirmedSegments(): Promise<void> {
    while (this.segments.length > 1 && this.segments[0].lastSeq < this.cursor) {
      const done = this.segments.shift() as SegmentMeta;
      await unlink(done.path).catch((err: Error) => this.logger.error({ reason: err.message }, 'could not delete a spool segment'));
    }
  }

  private scheduleCursorWrite(): void {
    if (this.cursorTimer || !this.open) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      this.exclusive(() => this.persistCursor()).catch((err: Error) =>
        this.logger.error({ reason: err.message }, 'could not save the spool cursor'),
      );
    }, this.opts.cursorSyncMs);
  }

  private async persistCursor(): Promise<void> {
    if (!this.open || this.cursor === this.persistedCursor) return;
    const cursor = this.cursor;
    await writeCursor(this.opts.dir, cursor, this.opts.fsync !== 'never');
    this.persistedCursor = cursor;
  }

  // ---- helpers ---------------------------------------------------------------------

  /** Runs `work` after everything queued before it: appends, reads and deletes never interleave. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => {});
    return run;
  }

  private hasUnread(): boolean {
    return this.readPos.hasUnread(this.nextSeq);
  }

  private wakeReaders(): void {
    for (const wake of this.dataWaiters.splice(0)) wake();
  }

  private unconfirmedRecords(): number {
    return unconfirmedRecords(this.segments, this.cursor);
  }

  private oldestAgeSeconds(): number {
    const time = oldestUnconfirmedTime(this.segments, this.cursor);
    return time === undefined ? 0 : Math.max(0, (this.nowMs() - time) / 1000);
  }

  private startTimers(): void {
    if (typeof this.opts.fsync === 'number') {
      const every = this.opts.fsync;
      const timer = setInterval(() => {
        if (this.files.needsSync)
          this.exclusive(() => this.files.sync()).catch((err: Error) => this.logger.error({ reason: err.message }, 'spool fsync failed'));
      }, every);
      this.timers.push(timer);
    }
    const ageCheck = setInterval(
      () => {
        this.exclusive(() => this.expireOld()).catch((err: Error) => this.logger.error({ reason: err.message }, 'spool age check failed'));
      },
      Math.min(60_000, (this.opts.maxAgeSeconds * 1000) / 10),
    );
    this.timers.push(ageCheck);
    for (const timer of this.timers) timer.unref();
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = undefined;
  }
}
