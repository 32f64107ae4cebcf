import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FontMissingError, PngBusyError, type PngPoolLimits, PngTimeoutError, PngWorkerError } from './errors.js';
import { type ChartModel, type ChartSize, chartOnly } from './model.js';
import type { RenderAnswer, RenderRequest } from './png-worker.js';

/**
 * PNG renders in worker threads, so a big chart never holds the server's event loop: at most
 * `concurrency` at once, at most `queueLimit` waiting (then 503 "busy"), each stopped after
 * `timeoutMs` (the worker is terminated and replaced; 503 naming the limit).
 */
export interface PngPoolOptions extends PngPoolLimits {
  fontFile?: string;
}

export const DEFAULT_PNG_POOL: PngPoolOptions = {
  // leave a core to the server itself when there is more than one
  concurrency: Math.max(1, Math.min(4, availableParallelism() - 1)),
  queueLimit: 8,
  timeoutMs: 10_000,
};

interface Job {
  request: RenderRequest;
  resolve: (png: Buffer) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Modules loaded: the time limit covers the render, not the worker's start. */
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
}

/** The compiled worker next to this file, or, run from TypeScript (tests, tsx), its source. */
function startWorker(): Worker {
  const js = new URL('./png-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  // Node 20 does not pass tsx's hooks on to workers: the worker registers them itself first.
  const ts = new URL('./png-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`, {
    eval: true,
  });
}

export class PngRenderPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private stopped = false;
  readonly counters = { rendered: 0, busy: 0, timedOut: 0 };

  constructor(private readonly options: PngPoolOptions = DEFAULT_PNG_POOL) {}

  /** The PNG of `model` (only its chart fields are sent to the worker). */
  render(model: ChartModel, size: ChartSize): Promise<Buffer> {
    if (this.stopped) return Promise.reject(new PngWorkerError('the PNG renderer is stopped'));
    const pending = this.slots.filter((s) => s.job).length + this.queue.length;
    if (pending >= this.options.concurrency + this.options.queueLimit) {
      this.counters.busy++;
      return Promise.reject(new PngBusyError(pending, this.options));
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, model: chartOnly(model), size, fontFile: this.options.fontFile }, resolve, reject });
      this.dispatch();
    });
  }

  /** Workers start on the first render (one at a time, up to `concurrency`); stop() ends them. */
  start(): void {
    this.stopped = false;
  }

  /** Terminates every worker; renders in flight or waiting fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.queue.splice(0)) job.reject(new PngWorkerError('the PNG renderer stopped'));
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, new PngWorkerError('the PNG renderer stopped'))));
  }

  private dispatch(): void {
    while (this.queue.length) {
      const slot = this.slots.find((s) => s.ready && !s.job);
      if (!slot) {
        if (this.slots.length < this.options.concurrency && this.slots.every((s) => s.ready)) this.spawn();
        return;
      }
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.timer = setTimeout(() => {
        this.counters.timedOut++;
        void this.replace(slot, new PngTimeoutError(this.options.timeoutMs));
      }, this.options.timeoutMs);
      slot.worker.postMessage(job.request);
    }
  }

  private spawn(): Slot {
    const worker = startWorker();
    worker.unref(); // an idle renderer never keeps the process alive
    const slot: Slot = { worker, ready: false };
    worker.on('message', (answer: RenderAnswer) => this.finish(slot, answer));
    worker.on('error', (error) => {
      const failure = new PngWorkerError(`PNG worker failed: ${error.message}`, { cause: error });
      // a worker that cannot even start will not start next time either: fail what waits
      if (!slot.ready) for (const job of this.queue.splice(0)) job.reject(failure);
      void this.replace(slot, failure);
    });
    this.slots.push(slot);
    return slot;
  }

  private finish(slot: Slot, answer: RenderAnswer): void {
    if ('ready' in answer) {
      slot.ready = true;
      this.dispatch();
      return;
    }
    const job = slot.job;
    if (!job || job.request.id !== answer.id) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    if ('png' in answer) {
      this.counters.rendered++;
      job.resolve(Buffer.from(answer.png.buffer, answer.png.byteOffset, answer.png.byteLength));
    } else
      job.reject(
        answer.error.name === 'FontMissingError' ? new FontMissingError(answer.error.message) : new PngWorkerError(answer.error.message),
      );
    this.dispatch();
  }

  /** A stuck or broken worker is terminated and its place freed for the next job. */
  private async replace(slot: Slot, error: Error): Promise<void> {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    await this.retire(slot, error);
    if (!this.stopped) this.dispatch();
  }

  private async retire(slot: Slot, error: Error): Promise<void> {
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    job?.reject(error);
    await slot.worker.terminate();
  }
}
