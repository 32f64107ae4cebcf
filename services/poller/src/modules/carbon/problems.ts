import type { Logger } from '../../../../../common/logging/index.js';

/**
 * Bad input, counted by reason (monotonic counters for the self-metrics) and logged at
 * most once per interval and reason, with one example and how many were seen since the
 * last line: a flood of bad lines costs a counter increment each, never a log line each.
 */
export class ProblemCounter<Reason extends string> {
  readonly counts: Record<string, number> = {};
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly options: {
      reasons: readonly Reason[];
      logger: Logger;
      /** Seconds between two log lines of one reason. */
      intervalSeconds: number;
      /** Seconds since the epoch. */
      nowSeconds: () => number;
      message: string;
    },
  ) {
    for (const reason of options.reasons) this.counts[reason] = 0;
  }

  /** `example` is only built when a line is logged (the flood path stays cheap). */
  record(reason: Reason, example: () => string, amount = 1): void {
    this.counts[reason] += amount;
    const now = this.options.nowSeconds();
    const last = this.lastLogged.get(reason);
    if (last && now - last.at < this.options.intervalSeconds) {
      last.suppressed += amount;
      return;
    }
    const text = example();
    this.options.logger.warn(
      { reason, example: text.length > 200 ? `${text.slice(0, 200)}...` : text, sinceLastLog: (last?.suppressed ?? 0) + amount },
      this.options.message,
    );
    this.lastLogged.set(reason, { at: now, suppressed: 0 });
  }

  total(): number {
    let sum = 0;
    for (const value of Object.values(this.counts)) sum += value;
    return sum;
  }
}
