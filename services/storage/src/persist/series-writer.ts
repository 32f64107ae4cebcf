import { linkSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Clock, wholeSecondsOf } from '../../../../common/lifecycle/index.js';
import { WhisperError, WhisperWriter } from '../../../../common/whisper/index.js';
import type { RetentionRules } from './retention-rules.js';

/** The points of one series (one `.wsp` file) to write in one call. */
export interface SeriesBatch {
  file: string;
  plugin: string;
  ds: string;
  /** [timestamp, value] pairs, any order, duplicates allowed (the last one wins). */
  points: Array<[number, number]>;
}

export interface SeriesWriteResult {
  written: number;
  /** Points older than the file's longest archive: whisper cannot hold them. */
  tooOld: number;
  created: boolean;
}

export interface SeriesWriterOptions {
  rules: RetentionRules;
  maxOpenFiles: number;
  sparse: boolean;
  /** Whisper's `now=` of each write, in whole epoch seconds, is read from it. */
  clock: Clock;
}

/**
 * Writes batches into `.wsp` files through one long-lived WhisperWriter (open files kept
 * in an LRU), creating a missing file with the archives its plugin/ds rule gives. Points a
 * little in the future (accepted clock skew, checked by the caller) are written by moving
 * whisper's "now" to the newest point, which puts them in the finest archive.
 */
export class SeriesWriter {
  private readonly writer: WhisperWriter;
  private readonly counters = { filesCreated: 0, pointsWritten: 0, pointsTooOld: 0, writeErrors: 0 };

  constructor(private readonly opts: SeriesWriterOptions) {
    this.writer = new WhisperWriter({ maxOpenFiles: opts.maxOpenFiles }); // now= is given per write
  }

  write(batch: SeriesBatch): SeriesWriteResult {
    let newest = 0;
    for (const p of batch.points) if (p[0] > newest) newest = p[0];
    const now = Math.max(wholeSecondsOf(this.opts.clock), newest);
    let created = false;
    let written: number;
    try {
      try {
        written = this.writer.updateMany(batch.file, batch.points, now);
      } catch (error) {
        if (!(error instanceof WhisperError) || error.code !== 'ENOENT') throw error;
        created = this.create(batch);
        written = this.writer.updateMany(batch.file, batch.points, now);
      }
    } catch (error) {
      this.counters.writeErrors++;
      throw error;
    }
    const tooOld = batch.points.length - written;
    this.counters.pointsWritten += written;
    this.counters.pointsTooOld += tooOld;
    return { written, tooOld, created };
  }

  /** Drops the cached handle of a file removed by someone else (cleaning). */
  forget(file: string): void {
    this.writer.forget(file);
  }

  stats(): Record<string, number> {
    return { ...this.counters, openFiles: this.writer.stats.openFiles };
  }

  close(): void {
    this.writer.close();
  }

  /**
   * Creates the file by rule under a temporary name, then links it into place: another
   * storage process sharing the queue never sees a half-written header, and a file that
   * appeared meanwhile is kept (link fails with EEXIST). False when someone else won.
   */
  private create(batch: SeriesBatch): boolean {
    const schema = this.opts.rules.schemaFor(batch.plugin, batch.ds);
    mkdirSync(dirname(batch.file), { recursive: true });
    const temporary = `${batch.file}.${process.pid}.creating`;
    try {
      unlinkSync(temporary);
    } catch {
      // Usually absent: only a crash between create and link leaves one.
    }
    this.writer.create(temporary, [...schema.archives], {
      aggregationMethod: schema.aggregationMethod,
      xFilesFactor: schema.xFilesFactor,
      sparse: this.opts.sparse,
    });
    try {
      linkSync(temporary, batch.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new WhisperError(`Cannot create whisper file ${batch.file}`, { path: batch.file, cause: error });
      return false;
    } finally {
      unlinkSync(temporary);
    }
    this.counters.filesCreated++;
    return true;
  }
}
