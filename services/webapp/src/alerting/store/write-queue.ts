/**
 * An ordered queue of writes done in bounded batches: what was handed over while a batch
 * was being written goes into the next one, so the number of transactions follows the
 * database's pace instead of the number of changes (one commit, one log flush, for many
 * changes when they come fast; one per change when they come slowly).
 *
 * Each `push` is a list of units that resolves once its last unit is written (a batch may
 * end in the middle of a list: the rest goes first in the next one). Units are written in
 * the order they were pushed, never two batches at once. A `task` is a barrier: it runs
 * alone, after every unit pushed before it and before every unit pushed after it.
 */
export interface WriteQueueOptions<U> {
  /** Writes one batch, in order, all or nothing; retries as it sees fit. A rejection fails every waiting push. */
  writeBatch: (units: U[]) => Promise<void>;
  /** Units per batch at most. */
  maxBatch: number;
}

type Entry<U> =
  | { kind: 'units'; units: U[]; next: number; resolve: () => void; reject: (error: unknown) => void }
  | { kind: 'task'; run: () => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void };

export class WriteQueue<U> {
  private readonly entries: Array<Entry<U>> = [];
  private draining = false;
  readonly counters = { batches: 0, units: 0, largestBatch: 0 };

  constructor(private readonly opts: WriteQueueOptions<U>) {}

  /** Units waiting, the batch being written included. */
  get waiting(): number {
    let n = 0;
    for (const e of this.entries) if (e.kind === 'units') n += e.units.length - e.next;
    return n;
  }

  push(units: U[]): Promise<void> {
    if (units.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.entries.push({ kind: 'units', units, next: 0, resolve, reject });
      this.drain();
    });
  }

  task<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.entries.push({ kind: 'task', run, resolve: resolve as (value: unknown) => void, reject });
      this.drain();
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void this.loop().finally(() => {
      this.draining = false;
    });
  }

  private async loop(): Promise<void> {
    while (this.entries.length > 0) {
      const head = this.entries[0];
      if (head.kind === 'task') {
        this.entries.shift();
        await head.run().then(head.resolve, head.reject);
        continue;
      }
      const { units, taken } = this.nextBatch();
      try {
        await this.opts.writeBatch(units);
      } catch (error) {
        this.failUnits(error);
        continue;
      }
      this.counters.batches++;
      this.counters.units += units.length;
      this.counters.largestBatch = Math.max(this.counters.largestBatch, units.length);
      for (const [entry, next] of taken) entry.next = next;
      this.resolveWritten();
    }
  }

  /** Units from the head entries up to the bound, stopping at a task; where each entry would stand after. */
  private nextBatch(): { units: U[]; taken: Array<[Extract<Entry<U>, { kind: 'units' }>, number]> } {
    const units: U[] = [];
    const taken: Array<[Extract<Entry<U>, { kind: 'units' }>, number]> = [];
    for (const entry of this.entries) {
      if (entry.kind !== 'units' || units.length >= this.opts.maxBatch) break;
      const end = Math.min(entry.units.length, entry.next + this.opts.maxBatch - units.length);
      for (let i = entry.next; i < end; i++) units.push(entry.units[i]);
      taken.push([entry, end]);
    }
    return { units, taken };
  }

  /** Written entries are a prefix of the queue (batches are taken from its head). */
  private resolveWritten(): void {
    while (this.entries.length > 0) {
      const head = this.entries[0];
      if (head.kind !== 'units' || head.next < head.units.length) return;
      this.entries.shift();
      head.resolve();
    }
  }

  /** A batch that cannot be written fails every push waiting (their order is lost otherwise); tasks still run. */
  private failUnits(error: unknown): void {
    const tasks = this.entries.filter((e) => e.kind === 'task');
    for (const e of this.entries) if (e.kind === 'units') e.reject(error);
    this.entries.length = 0;
    this.entries.push(...tasks);
  }
}
