import { ApiError } from './errors.js';

/**
 * Stored values being read or held by requests in flight, all requests together: each
 * request reserves what its plan will read before reading it and gives it back when its
 * response is done, so concurrent requests cannot together hold more than `capacity`
 * values in memory. A request that does not fit waits its turn (first come, first
 * served); after `waitMs` it is answered 503 instead of waiting longer.
 */
export class StorageBusyError extends ApiError {
  constructor(waitMs: number) {
    super(503, `the storage is busy reading for other requests (waited ${waitMs} ms for max_read_points_in_flight): try again`);
  }
}

interface Waiter {
  points: number;
  resolve(): void;
}

export class ReadPool {
  private used = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly capacity: number,
    private readonly waitMs = 10_000,
  ) {}

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves once `points` (at most the capacity) are reserved; rejects with StorageBusyError after waitMs. */
  async acquire(points: number): Promise<void> {
    const wanted = Math.min(points, this.capacity);
    if (this.queue.length === 0 && this.used + wanted <= this.capacity) {
      this.used += wanted;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        points: wanted,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.queue.splice(this.queue.indexOf(waiter), 1);
        this.wake();
        reject(new StorageBusyError(this.waitMs));
      }, this.waitMs);
      this.queue.push(waiter);
    });
  }

  release(points: number): void {
    this.used = Math.max(0, this.used - Math.min(points, this.capacity));
    this.wake();
  }

  private wake(): void {
    while (this.queue.length > 0 && this.used + this.queue[0].points <= this.capacity) {
      const waiter = this.queue.shift() as Waiter;
      this.used += waiter.points;
      waiter.resolve();
    }
  }
}
