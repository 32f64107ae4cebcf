import { type Clock, wholeSecondsOf } from '../../../../common/lifecycle/index.js';

export interface NewSeriesLimits {
  /** New series per host per interval; 0 = unlimited. */
  perHost: number;
  /** New series per plugin of a host per interval; 0 = unlimited. */
  perPlugin: number;
  intervalSeconds: number;
}

export type SeriesLimitKind = 'host' | 'plugin';

/** What a report says: one refused series as an example, and how many were refused since the last report. */
export interface SeriesLimitReport {
  limit: SeriesLimitKind;
  hostId: string;
  plugin: string;
  ds: string;
  refusedSinceLastReport: number;
}

export interface NewSeriesLimiterOptions {
  limits: NewSeriesLimits;
  /** Windows are counted in whole epoch seconds read from it. */
  clock: Clock;
  /** Every refusal (metrics). */
  onRefused?: (limit: SeriesLimitKind) => void;
  /** At most once per interval, with an example (the log). */
  onReport?: (report: SeriesLimitReport) => void;
}

/**
 * Bounds the series (files) one host, and one plugin of a host, may start per interval.
 * Every new series is a file of its own (about 190 KB with the default archives, sparse
 * or not), so one message naming thousands of data sources would otherwise fill the
 * disk and the inode table. Series whose file exists are never counted: a storage that
 * restarts, or a host that comes back, is not limited. The window is fixed: every count
 * starts again from zero each `intervalSeconds`.
 */
export class NewSeriesLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  /** hostId → series started in this window, and per plugin. */
  private readonly started = new Map<string, { total: number; plugins: Map<string, number> }>();
  private lastReport = Number.NEGATIVE_INFINITY;
  private refusedSinceReport = 0;

  constructor(private readonly opts: NewSeriesLimiterOptions) {}

  /** True when host/plugin may start one more series now (and counts it); false when a limit is reached. */
  admit(hostId: string, plugin: string, ds: string): boolean {
    const { perHost, perPlugin } = this.opts.limits;
    if (perHost === 0 && perPlugin === 0) return true;
    const now = wholeSecondsOf(this.opts.clock);
    this.startWindowIfDue(now);
    let host = this.started.get(hostId);
    if (!host) {
      host = { total: 0, plugins: new Map() };
      this.started.set(hostId, host);
    }
    const ofPlugin = host.plugins.get(plugin) ?? 0;
    const limit: SeriesLimitKind | null =
      perHost > 0 && host.total >= perHost ? 'host' : perPlugin > 0 && ofPlugin >= perPlugin ? 'plugin' : null;
    if (limit) {
      this.refused(now, { limit, hostId, plugin, ds });
      return false;
    }
    host.total++;
    host.plugins.set(plugin, ofPlugin + 1);
    return true;
  }

  private startWindowIfDue(now: number): void {
    if (now - this.windowStart < this.opts.limits.intervalSeconds) return;
    this.windowStart = now;
    this.started.clear();
  }

  private refused(now: number, example: Omit<SeriesLimitReport, 'refusedSinceLastReport'>): void {
    this.opts.onRefused?.(example.limit);
    this.refusedSinceReport++;
    if (now - this.lastReport < this.opts.limits.intervalSeconds) return;
    this.lastReport = now;
    this.opts.onReport?.({ ...example, refusedSinceLastReport: this.refusedSinceReport });
    this.refusedSinceReport = 0;
  }
}
