import type { StatsdSample, StatsdType } from './parse.js';

/**
 * StatsD's aggregation over one flush interval, as etsy's StatsD computes it:
 * counters add value / sample rate and give a rate per second and the count; gauges keep
 * their last value (kept across flushes, so `+`/`-` changes apply to it; published when
 * set in the interval); timers give count (sample-rate corrected), count_ps, mean, upper,
 * lower, sum, median, std and, for each percentile P, count_P, mean_P, sum_P and upper_P
 * over the lowest P % of the values; sets count their distinct members.
 */
interface TimerState {
  count: number;
  sum: number;
  sumSquares: number;
  lower: number;
  upper: number;
  received: number;
  /** At most `maxTimerValues`; the percentiles and median are over these. */
  values: number[];
}

export interface Aggregate {
  name: string;
  type: StatsdType;
  /** Suffix (`''` for the value itself, else `count`, `mean`, `upper_90`...) → value. */
  stats: Record<string, number>;
}

export class StatsdAggregator {
  private counters = new Map<string, number>();
  private timers = new Map<string, TimerState>();
  private sets = new Map<string, Set<string>>();
  private touchedGauges = new Set<string>();
  private readonly gauges = new Map<string, number>();

  constructor(private readonly limits: { maxTimerValues: number; maxSetSize: number }) {}

  /** False when a set is full (the member is not counted). */
  add(sample: StatsdSample): boolean {
    const { name } = sample;
    switch (sample.type) {
      case 'counter':
        this.counters.set(name, (this.counters.get(name) ?? 0) + sample.value / sample.sampleRate);
        return true;
      case 'gauge':
        this.gauges.set(name, sample.delta ? (this.gauges.get(name) ?? 0) + sample.value : sample.value);
        this.touchedGauges.add(name);
        return true;
      case 'timer':
        this.addTiming(name, sample.value, sample.sampleRate);
        return true;
      case 'set': {
        let members = this.sets.get(name);
        if (!members) {
          members = new Set();
          this.sets.set(name, members);
        }
        if (members.has(sample.member)) return true;
        if (members.size >= this.limits.maxSetSize) return false;
        members.add(sample.member);
        return true;
      }
    }
  }

  /** Whether `name` of `type` is already held (new ones count against the series limit). */
  holds(name: string, type: StatsdType): boolean {
    if (type === 'counter') return this.counters.has(name);
    if (type === 'gauge') return this.gauges.has(name);
    if (type === 'timer') return this.timers.has(name);
    return this.sets.has(name);
  }

  /** Names held in this interval, plus the gauges kept (bounded by the series limit). */
  get size(): number {
    return this.counters.size + this.timers.size + this.sets.size + this.gauges.size;
  }

  /** Everything of the interval, and a fresh interval. */
  take(intervalSeconds: number, percentiles: number[]): Aggregate[] {
    const out: Aggregate[] = [];
    for (const [name, count] of this.counters) out.push({ name, type: 'counter', stats: { '': count / intervalSeconds, count } });
    for (const name of this.touchedGauges) out.push({ name, type: 'gauge', stats: { '': this.gauges.get(name) as number } });
    for (const [name, timer] of this.timers) out.push({ name, type: 'timer', stats: timerStats(timer, intervalSeconds, percentiles) });
    for (const [name, members] of this.sets) out.push({ name, type: 'set', stats: { '': members.size } });
    this.counters = new Map();
    this.timers = new Map();
    this.sets = new Map();
    this.touchedGauges = new Set();
    return out;
  }

  private addTiming(name: string, value: number, sampleRate: number): void {
    let timer = this.timers.get(name);
    if (!timer) {
      timer = { count: 0, sum: 0, sumSquares: 0, lower: value, upper: value, received: 0, values: [] };
      this.timers.set(name, timer);
    }
    timer.count += 1 / sampleRate;
    timer.received++;
    timer.sum += value;
    timer.sumSquares += value * value;
    if (value < timer.lower) timer.lower = value;
    if (value > timer.upper) timer.upper = value;
    if (timer.values.length < this.limits.maxTimerValues) timer.values.push(value);
  }
}

/** `90` → `90`, `99.9` → `99_9` (etsy's names). */
export function percentileSuffix(p: number): string {
  return String(p).replace('.', '_');
}

function timerStats(timer: TimerState, intervalSeconds: number, percentiles: number[]): Record<string, number> {
  const values = [...timer.values].sort((a, b) => a - b);
  const n = values.length;
  const mean = timer.sum / timer.received;
  const variance = Math.max(0, timer.sumSquares / timer.received - mean * mean);
  const middle = Math.floor(n / 2);
  const stats: Record<string, number> = {
    count: timer.count,
    count_ps: timer.count / intervalSeconds,
    lower: timer.lower,
    upper: timer.upper,
    sum: timer.sum,
    mean,
    median: n % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2,
    std: Math.sqrt(variance),
  };
  for (const p of percentiles) {
    const within = n > 1 ? Math.round((p / 100) * n) : n;
    if (within === 0) continue;
    let sum = 0;
    for (let i = 0; i < within; i++) sum += values[i];
    const suffix = percentileSuffix(p);
    stats[`count_${suffix}`] = within;
    stats[`mean_${suffix}`] = sum / within;
    stats[`sum_${suffix}`] = sum;
    stats[`upper_${suffix}`] = values[within - 1];
  }
  return stats;
}
