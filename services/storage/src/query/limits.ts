import { LimitExceededError } from '../api/errors.js';

/**
 * What one render may cost, so one request cannot hold the event loop or the memory:
 * series fetched, values built (fetched or computed, all steps together), and time
 * spent. Work is counted as it is done; the deadline is checked every few thousand
 * units of work, so a limit answers 400 naming it instead of a hung server.
 */
export interface RenderLimits {
  /** Series one request may fetch (all targets, re-fetches included). */
  maxSeries: number;
  /** Values one request may build: fetched, computed and intermediate ones together. */
  maxPointsBuilt: number;
  /** Wall-clock milliseconds one request may spend evaluating. */
  maxMillis: number;
}

const CHECK_EVERY = 4096;

export class RenderBudget {
  private series = 0;
  private points = 0;
  private sinceCheck = 0;
  private readonly deadline: number;

  constructor(
    readonly limits: RenderLimits,
    private readonly clock: () => number,
  ) {
    this.deadline = clock() + limits.maxMillis;
  }

  fetched(series: number, points: number): void {
    this.series += series;
    if (this.series > this.limits.maxSeries) {
      throw new LimitExceededError(
        'max_find_results',
        `targets match more than max_find_results (${this.limits.maxSeries}) series`,
        'target',
      );
    }
    this.built(points);
  }

  /** Values created by a function (their memory) and the work to make them. */
  built(points: number): void {
    this.points += points;
    if (this.points > this.limits.maxPointsBuilt) {
      throw new LimitExceededError(
        'max_points_built',
        `the targets would build more than ${this.limits.maxPointsBuilt} values (10 × max_points): narrow the range or the patterns`,
        'target',
      );
    }
    this.work(points);
  }

  /** CPU work that creates nothing (sorting, windows): only the deadline counts it. */
  work(units: number): void {
    this.sinceCheck += units;
    if (this.sinceCheck < CHECK_EVERY) return;
    this.sinceCheck = 0;
    this.checkTime();
  }

  checkTime(): void {
    if (this.clock() > this.deadline) {
      throw new LimitExceededError(
        'render_time_limit',
        `the targets took longer than ${this.limits.maxMillis} ms to evaluate: narrow the range or the patterns`,
        'target',
      );
    }
  }
}
