import { type Clock, systemClock } from './clock.js';

/**
 * What a step still gets once its deadline has passed, to force-close what it holds
 * (destroy a socket, close a file) rather than wait for a peer.
 */
export const FORCE_CLOSE_MS = 500;

/** How long a step may still take: a deadline given as milliseconds from now, or a Deadline. */
export type DeadlineInput = Deadline | number;

/**
 * A point in time by which something must be done. One deadline is passed down a whole
 * stop sequence, so each step gets what is left rather than a fresh allowance each (which
 * is how five steps of 10 s become 50 s, past systemd's stop timeout).
 */
export class Deadline {
  private constructor(
    /** Epoch milliseconds, on `clock`. */
    readonly atMs: number,
    readonly clock: Clock,
  ) {}

  static after(ms: number, clock: Clock = systemClock): Deadline {
    return new Deadline(clock.nowMs() + Math.max(0, ms), clock);
  }

  /** A Deadline as is; a number as milliseconds from now. */
  static of(input: DeadlineInput, clock: Clock = systemClock): Deadline {
    return input instanceof Deadline ? input : Deadline.after(input, clock);
  }

  remainingMs(): number {
    return Math.max(0, this.atMs - this.clock.nowMs());
  }

  get expired(): boolean {
    return this.remainingMs() === 0;
  }

  /** The earlier of this deadline and `ms` from now: the share of one step that has its own cap. */
  capped(ms: number): Deadline {
    return new Deadline(Math.min(this.atMs, this.clock.nowMs() + Math.max(0, ms)), this.clock);
  }

  /** `ms` past this deadline (or past now, if it has passed): how long to wait for a step given this deadline. */
  graced(ms: number): Deadline {
    return new Deadline(Math.max(this.atMs, this.clock.nowMs()) + Math.max(0, ms), this.clock);
  }

  /** This deadline, at least `ms` from now: lets a step whose time ran out still force-close. */
  extendedTo(ms: number): Deadline {
    return new Deadline(Math.max(this.atMs, this.clock.nowMs() + Math.max(0, ms)), this.clock);
  }
}

/**
 * Waits for `work` until the deadline; never rejects and leaves no timer behind. True if
 * it settled (resolved or rejected) in time. Used when stopping: a peer that stops
 * answering must not keep a service from exiting.
 */
export async function settleWithin(work: Promise<unknown>, deadline: DeadlineInput): Promise<boolean> {
  const due = Deadline.of(deadline);
  const settled = work.then(
    () => true,
    () => true,
  );
  let timer: unknown;
  const expired = new Promise<boolean>((resolve) => {
    timer = due.clock.setTimeout(() => resolve(false), due.remainingMs());
  });
  try {
    return await Promise.race([settled, expired]);
  } finally {
    due.clock.clearTimeout(timer);
  }
}

export interface WaitUntilOptions {
  /** How often `condition` is checked; 20 ms unless given. */
  intervalMs?: number;
}

/**
 * Checks `condition` until it holds or the deadline passes; true if it held. For states
 * that have no event to wait on (a spool emptied by another component, a counter).
 */
export async function waitUntil(condition: () => boolean, deadline: DeadlineInput, options: WaitUntilOptions = {}): Promise<boolean> {
  const due = Deadline.of(deadline);
  const intervalMs = options.intervalMs ?? 20;
  while (!condition()) {
    if (due.expired) return false;
    await new Promise<void>((resolve) => due.clock.setTimeout(resolve, Math.min(intervalMs, due.remainingMs())));
  }
  return true;
}
