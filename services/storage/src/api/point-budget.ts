import { LimitExceededError } from './errors.js';
import { holdReadPoints } from './request-budget.js';

/**
 * What one request may cost, checked from the files' headers before any data is read:
 * `max_read_points` stored values read (all series together, before consolidation and
 * functions), and `max_points` values answered. A request over either is a 400 that
 * names the limit, and nothing has been read or built for it yet.
 */
export interface PointLimits {
  maxReadPoints: number;
  maxPoints: number;
}

export class PointBudget {
  private read = 0;

  constructor(
    private readonly limits: PointLimits,
    /** The parameter a client changes to fit (`target` for /render, `from` for /data). */
    private readonly parameter: string,
  ) {}

  get readSoFar(): number {
    return this.read;
  }

  /**
   * Counts `points` more stored values to read: throws before the total passes
   * max_read_points, then reserves them in the pool all requests share (request-budget.ts),
   * waiting while other requests hold it.
   */
  async chargeRead(points: number): Promise<void> {
    this.read += points;
    if (this.read > this.limits.maxReadPoints) {
      throw new LimitExceededError(
        'max_read_points',
        `the request would read ${this.read} stored values, more than max_read_points (${this.limits.maxReadPoints}): narrow the time range or ask for fewer series`,
        this.parameter,
      );
    }
    await holdReadPoints(points);
  }

  /** Throws when an answer of `points` values would pass max_points. */
  checkAnswer(points: number): void {
    if (points > this.limits.maxPoints) {
      throw new LimitExceededError(
        'max_points',
        `the response would carry ${points} points, more than max_points (${this.limits.maxPoints}): narrow the time range, ask for fewer series or pass maxDataPoints`,
        'maxDataPoints',
      );
    }
  }
}
