import { type FileHandle, open } from 'node:fs/promises';
import { syncDirectory } from './cursor.js';
import { type FsyncPolicy, SpoolClosedError } from './options.js';
import { emptySegment, type SegmentMeta, segmentFirstTime, totalBytes } from './segment.js';

/**
 * The spool's segment files on disk, oldest first: which one is open for appending, when
 * to start a new one, and fsync of data under the spool's policy. The spool decides what
 * goes in them and when one is dropped; this only keeps the files and the handle in order.
 */
export class SegmentFiles {
  /** Oldest first; the last one is the active (appended) segment. Never reassigned. */
  readonly segments: SegmentMeta[] = [];
  private active?: FileHandle;
  private dirty = false;
  private syncs = 0;

  constructor(
    private readonly opts: { dir: string; segmentBytes: number; maxAgeSeconds: number; fsync: FsyncPolicy },
    /** Epoch milliseconds. */
    private readonly nowMs: () => number,
  ) {}

  /** fsyncs of segment data so far. */
  get fsyncs(): number {
    return this.syncs;
  }

  /** Appends go to the last recovered segment when it has room, else to a new one. */
  async openForAppend(nextSeq: number): Promise<void> {
    const last = this.segments[this.segments.length - 1];
    if (last && !this.shouldRoll(last)) this.active = await open(last.path, 'a');
    else await this.createSegment(nextSeq);
  }

  activeSegment(): SegmentMeta {
    return this.segments[this.segments.length - 1];
  }

  activeHandle(): FileHandle {
    if (!this.active) throw new SpoolClosedError('spool has no open segment');
    return this.active;
  }

  totalBytes(): number {
    return totalBytes(this.segments);
  }

  shouldRoll(segment: SegmentMeta): boolean {
    if (segment.bytes >= this.opts.segmentBytes) return true;
    // Segments span at most 1/8 of maxAge, so age drops are that precise.
    const first = segmentFirstTime(segment);
    return first !== undefined && this.nowMs() - first > (this.opts.maxAgeSeconds * 1000) / 8;
  }

  /** Closes the active segment and starts one at `nextSeq` (unless the active one is empty). */
  async roll(nextSeq: number): Promise<SegmentMeta> {
    if (this.activeSegment().count === 0) return this.activeSegment();
    await this.closeActive(this.opts.fsync !== 'never');
    return this.createSegment(nextSeq);
  }

  /** After a write: fsync now under 'always', else remember there is something to sync. */
  async written(): Promise<void> {
    if (this.opts.fsync === 'always') await this.sync();
    else this.dirty = true;
  }

  /** Data written since the last fsync (the periodic fsync checks it). */
  get needsSync(): boolean {
    return this.dirty;
  }

  async closeActive(sync: boolean): Promise<void> {
    if (!this.active) return;
    if (sync && this.dirty) await this.sync();
    await this.active.close();
    this.active = undefined;
  }

  /** Closes the handle without syncing, as a crash would leave it (tests). */
  async abandon(): Promise<void> {
    await this.active?.close().catch(() => {});
    this.active = undefined;
  }

  private async createSegment(nextSeq: number): Promise<SegmentMeta> {
    const segment = emptySegment(this.opts.dir, nextSeq);
    this.active = await open(segment.path, 'a');
    this.segments.push(segment);
    if (this.opts.fsync !== 'never') await syncDirectory(this.opts.dir);
    return segment;
  }

  async sync(): Promise<void> {
    if (!this.active) return;
    this.dirty = false;
    await this.active.sync();
    this.syncs++;
  }
}
