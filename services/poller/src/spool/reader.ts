import type { SpoolRecord } from './record.js';
import { readSegment, type SegmentMeta } from './segment.js';

/**
 * Where the next read of the spool starts: a segment, a byte offset in it, and the lowest
 * sequence number still to hand out (records below it were handed out or confirmed).
 * Reads only ever move forward; `seek` starts over (at the commit cursor).
 */
export class ReadPosition {
  private segment = 0;
  private offset = 0;
  private minSeq = 0;

  constructor(private readonly maxChunkBytes: number) {}

  /** Positions at the first record numbered `seq` or more. */
  seek(segments: SegmentMeta[], seq: number, nextSeq: number): void {
    const segment = segments.find((s) => s.lastSeq >= seq) ?? segments[segments.length - 1];
    this.segment = segment?.firstSeq ?? nextSeq;
    this.offset = 0;
    this.minSeq = seq;
  }

  /** After `dropped` was deleted: a reader inside it moves on to what is left. */
  segmentDropped(dropped: SegmentMeta, segments: SegmentMeta[], cursor: number, nextSeq: number): void {
    if (this.segment === dropped.firstSeq) this.seek(segments, Math.max(this.minSeq, cursor), nextSeq);
  }

  hasUnread(nextSeq: number): boolean {
    return this.minSeq < nextSeq;
  }

  /**
   * Up to `max` records in sequence order from the current position; stops at the end of
   * the active (last) segment. `onDamage` hears of damage found while reading.
   */
  async read(segments: SegmentMeta[], max: number, onDamage: (segment: SegmentMeta, offset: number) => void): Promise<SpoolRecord[]> {
    const out: SpoolRecord[] = [];
    const active = segments[segments.length - 1];
    while (out.length < max) {
      const segment = segments.find((s) => s.firstSeq >= this.segment);
      if (!segment) break;
      if (segment.firstSeq !== this.segment) {
        this.segment = segment.firstSeq;
        this.offset = 0;
      }
      const wanted = max - out.length;
      // Read about what `wanted` records take, not a whole chunk each time.
      const averageRecord = segment.count > 0 ? segment.bytes / segment.count : 1024;
      const chunk = Math.min(this.maxChunkBytes, Math.max(64 * 1024, Math.ceil(wanted * averageRecord * 1.2)));
      const result = await readSegment(segment, this.offset, wanted, chunk);
      if (result.damaged) onDamage(segment, this.offset);
      for (const record of result.records) {
        if (record.seq < this.minSeq) continue;
        out.push({ seq: record.seq, appendedAt: record.appendedAt, payload: record.payload, route: record.route });
        this.minSeq = record.seq + 1;
      }
      this.offset = result.nextOffset;
      if (this.offset < segment.bytes) continue;
      if (segment === active) break;
      this.segment = segment.firstSeq + 1;
      this.offset = 0;
    }
    return out;
  }
}
