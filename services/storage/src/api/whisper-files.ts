import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CorruptWhisperFileError, WhisperError } from '../../../../common/whisper/index.js';
import type { SeriesFetch, SeriesValues, WhisperReader } from './deps.js';
import type { ReadAnswer, ReadBatch, ReadBatchAnswer, ReadFailure, ReadJob } from './read-worker.js';
import type { FileHeader } from './whisper-header.js';

/**
 * Whisper files read by worker threads (read-worker.ts), so a render of a thousand files
 * never holds the event loop: the reads asked in one turn of the loop are gathered into
 * batches of at most `batchFiles` files, each batch read by one worker with blocking
 * calls (open, one or two reads, close: about 10 µs a file from the page cache) and
 * answered in one message whose values are one transferred Float64Array. The event
 * loop's cost per file is a promise and a subarray, where reads through libuv's pool
 * cost two pool round trips (a read and the stat that proved a kept handle current), a
 * promise chain and the decoding each, and stalled the loop on the pool's lock under load.
 * Every read opens the path afresh, so a file rewritten, replaced by a rename or removed
 * is read as it is now. Errors are common/whisper's (`CorruptWhisperFileError` with the
 * bare reason, `WhisperError` with the errno `code`), so callers treat both readers alike.
 */
export interface WhisperFilesOptions {
  /** Worker threads (default: 2, or 1 on a single CPU). */
  workers?: number;
  /** Files per batch: a long read is cut so other requests' batches get their turn. */
  batchFiles?: number;
  /** Headers kept in memory (plans are made from them without touching the disk). */
  cachedHeaders?: number;
}

interface Pending {
  job: ReadJob;
  resolve(answer: ReadAnswer, values: Float64Array): void;
  reject(error: Error): void;
}

interface ReadThread {
  worker: Worker;
  /** Batches sent and not answered yet, by id. */
  inFlight: Map<number, Pending[]>;
  /** Files in those batches (a new batch goes to the least busy thread). */
  files: number;
}

/** The compiled worker next to this file, or, run from TypeScript (tests, tsx), its source. */
function startWorker(): Worker {
  const js = new URL('./read-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  // Node 20 does not pass tsx's hooks on to workers: the worker registers them itself first.
  const ts = new URL('./read-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`, { eval: true });
}

export class WhisperFiles implements WhisperReader {
  private readonly workers: number;
  private readonly batchFiles: number;
  private readonly cachedHeaders: number;
  private readonly headers = new Map<string, FileHeader>();
  private readonly threads: ReadThread[] = [];
  private queued: Pending[] = [];
  private flushScheduled = false;
  private nextId = 1;
  private batches = 0;

  constructor(options: WhisperFilesOptions = {}) {
    this.workers = Math.max(1, options.workers ?? Math.min(2, availableParallelism()));
    this.batchFiles = options.batchFiles ?? 128;
    this.cachedHeaders = options.cachedHeaders ?? 20_000;
  }

  /** Worker threads running now (they start with the first read, at most `workers`). */
  get threadCount(): number {
    return this.threads.length;
  }

  /** Batches sent to the workers so far (tests: reads asked together go together). */
  get batchesSent(): number {
    return this.batches;
  }

  /** Ends the workers (the API's stop); reads in flight or queued fail. */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    const stopped = new WhisperError('the whisper reader is closed');
    for (const pending of this.queued.splice(0)) pending.reject(stopped);
    for (const thread of threads) this.failThread(thread, stopped);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /**
   * The file's header, from memory when it was read before: headers change only when an
   * operator resizes a file, and every fetch reads the header again (and refreshes it
   * here), so a plan made from a stale one is off for one request at most.
   */
  async header(path: string): Promise<FileHeader> {
    const known = this.headers.get(path);
    if (known) return known;
    return (await this.read({ path, window: null })).header;
  }

  /** The values with null where nothing is stored, as common/whisper's fetch gives them (/data). */
  async fetch(path: string, from: number, until: number, options: { now: number }): Promise<SeriesFetch | null> {
    const data = await this.fetchValues(path, from, until, options);
    if (data === null) return null;
    return { ...data, values: Array.from(data.values, (v) => (Number.isNaN(v) ? null : v)) };
  }

  async fetchValues(path: string, from: number, until: number, options: { now: number }): Promise<SeriesValues | null> {
    const { slots, values } = await this.read({ path, window: { from, until, now: options.now } });
    if (slots === null) return null;
    return { start: slots.start, end: slots.start + slots.count * slots.step, step: slots.step, values };
  }

  private read(job: ReadJob): Promise<{ header: FileHeader; slots: ReadAnswerSlots; values: Float64Array }> {
    return new Promise((resolve, reject) => {
      this.queued.push({
        job,
        resolve: (answer, batchValues) => {
          if (!answer.ok) {
            if (answer.failure.kind === 'io' && answer.failure.code === 'ENOENT') this.headers.delete(job.path);
            reject(failureError(answer.failure, job.path));
            return;
          }
          this.remember(job.path, answer.header);
          const { slots } = answer;
          resolve({ header: answer.header, slots, values: slots ? batchValues.subarray(slots.offset, slots.offset + slots.count) : EMPTY });
        },
        reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // Every read asked in this turn (a render's whole Promise.all) goes in the same batches.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const queued = this.queued;
    this.queued = [];
    for (let i = 0; i < queued.length; i += this.batchFiles) this.send(queued.slice(i, i + this.batchFiles));
  }

  private send(pending: Pending[]): void {
    let thread: ReadThread;
    try {
      thread = this.leastBusy();
    } catch (error) {
      const failure = new WhisperError(`cannot start a whisper read worker: ${(error as Error).message}`, { cause: error });
      for (const p of pending) p.reject(failure);
      return;
    }
    const id = this.nextId++;
    thread.inFlight.set(id, pending);
    thread.files += pending.length;
    this.batches++;
    const batch: ReadBatch = { id, jobs: pending.map((p) => p.job) };
    thread.worker.postMessage(batch);
  }

  /** A thread with nothing in flight, else a new one while under `workers`, else the one with the fewest files queued. */
  private leastBusy(): ReadThread {
    const idle = this.threads.find((t) => t.files === 0);
    if (idle) return idle;
    if (this.threads.length < this.workers) return this.startThread();
    return this.threads.reduce((a, b) => (b.files < a.files ? b : a));
  }

  private startThread(): ReadThread {
    const worker = startWorker();
    worker.unref(); // an idle reader never keeps the process alive
    const thread: ReadThread = { worker, inFlight: new Map(), files: 0 };
    worker.on('message', (answer: ReadBatchAnswer) => this.answered(thread, answer));
    worker.on('error', (error) => this.retire(thread, new WhisperError(`whisper read worker failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.retire(thread, new WhisperError(`whisper read worker exited (code ${code})`)));
    this.threads.push(thread);
    return thread;
  }

  private answered(thread: ReadThread, answer: ReadBatchAnswer): void {
    const pending = thread.inFlight.get(answer.id);
    if (!pending) return;
    thread.inFlight.delete(answer.id);
    thread.files -= pending.length;
    for (const [i, p] of pending.entries()) p.resolve(answer.answers[i], answer.values);
  }

  /** A worker that failed or exited: its reads fail, the next read starts a new one. */
  private retire(thread: ReadThread, error: Error): void {
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    this.failThread(thread, error);
  }

  private failThread(thread: ReadThread, error: Error): void {
    for (const pending of thread.inFlight.values()) for (const p of pending) p.reject(error);
    thread.inFlight.clear();
    thread.files = 0;
  }

  private remember(path: string, header: FileHeader): void {
    this.headers.delete(path);
    this.headers.set(path, header);
    if (this.headers.size > this.cachedHeaders) this.headers.delete(this.headers.keys().next().value as string);
  }
}

type ReadAnswerSlots = Extract<ReadAnswer, { ok: true }>['slots'];

const EMPTY = new Float64Array(0);

function failureError(failure: ReadFailure, path: string): WhisperError {
  if (failure.kind === 'corrupt') return new CorruptWhisperFileError(failure.reason, path);
  const cause = Object.assign(new Error(failure.message), failure.code ? { code: failure.code } : {});
  return new WhisperError(failure.message, { path, cause });
}
