import { connect, type Socket } from 'node:net';

/**
 * Send → `/render` latency probes for the end-to-end phase. One line per `everyMs` goes to
 * the carbon port, round robin over `series` probe series (`bprobe.p.v<i>`, value = its
 * second, so a returned value names its probe), and `/render` is polled one request after the
 * other, every `pollMs`.
 *
 * When a probe is first seen, all that is known is that it became readable after the start
 * of the previous poll (which did not return it) and before the answer of this one. Its
 * arrival is taken as the middle of that window: the error is at most half the window (half
 * the poll period plus a render), in either direction, so the percentiles do not grow with
 * the poll period as "the time of the poll that saw it" would (that is late by up to a whole
 * period, always). The window is bounded below by the send time.
 */
export class RenderProbes {
  private readonly sentAt = new Map<string, number>();
  private readonly latencies: number[] = [];
  private readonly socket: Socket;
  private sender?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private active = false;
  private sent = 0;
  private startedAt = 0;
  private readonly firstSecond: number;
  /** Widest arrival window seen (ms): how far off an estimate can be, doubled. */
  widestWindowMs = 0;

  constructor(
    private readonly api: string,
    carbonPort: number,
    private readonly options = { series: 10, everyMs: 100, pollMs: 250 },
  ) {
    this.socket = connect(carbonPort, '127.0.0.1');
    this.firstSecond = Math.floor(Date.now() / 1000) - 500;
  }

  start(): void {
    this.active = true;
    this.startedAt = performance.now();
    this.sender = setInterval(() => this.sendDue(), this.options.everyMs);
    this.polling = this.pollLoop();
  }

  get pending(): number {
    return this.sentAt.size;
  }

  /** Probe lines sent so far (the storage counts them among the points it wrote). */
  get sentCount(): number {
    return this.sent;
  }

  /** Stops sending; polls on until every probe arrived or `graceMs` passed. */
  async stop(graceMs: number): Promise<void> {
    clearInterval(this.sender);
    const until = performance.now() + graceMs;
    while (this.sentAt.size > 0 && performance.now() < until) await sleep(50);
    this.active = false;
    await this.polling;
    this.socket.destroy();
  }

  /** Latency percentile in ms (NaN without probes). */
  percentile(q: number): number {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  }

  /** Probes seen through /render (each one a latency). */
  get count(): number {
    return this.latencies.length;
  }

  /** The probes due by now: a timer that fires late (a busy machine) sends those it missed, each timed when sent. */
  private sendDue(): void {
    const due = Math.floor((performance.now() - this.startedAt) / this.options.everyMs);
    while (this.sent < due) this.send();
  }

  private send(): void {
    const { series } = this.options;
    const index = this.sent % series;
    const second = this.firstSecond + Math.floor(this.sent / series);
    this.sent++;
    this.sentAt.set(`bprobe.p.v${index}@${second}`, performance.now());
    this.socket.write(`bprobe.p.v${index} ${second} ${second}\n`);
  }

  private async pollLoop(): Promise<void> {
    let previousStart = performance.now();
    while (this.active) {
      const started = performance.now();
      const seen = await this.poll();
      const answered = performance.now();
      for (const key of seen) {
        const sentAt = this.sentAt.get(key);
        if (sentAt === undefined) continue;
        const from = Math.max(previousStart, sentAt);
        this.widestWindowMs = Math.max(this.widestWindowMs, answered - from);
        this.latencies.push((from + answered) / 2 - sentAt);
        this.sentAt.delete(key);
      }
      previousStart = started;
      await sleep(Math.max(0, started + this.options.pollMs - performance.now()));
    }
  }

  /** Keys (`series@second`) of the probes `/render` returns now. */
  private async poll(): Promise<string[]> {
    const until = this.firstSecond + Math.ceil(this.sent / this.options.series) + 1;
    const url = `${this.api}/render?target=bprobe.p.*&from=${this.firstSecond - 1}&until=${until}&format=json`;
    const response = await fetch(url).catch(() => null);
    if (!response?.ok) return [];
    const keys: string[] = [];
    for (const series of (await response.json()) as Array<{ target: string; datapoints: Array<[number | null, number]> }>)
      for (const [value] of series.datapoints) if (value !== null) keys.push(`${series.target}@${value}`);
    return keys;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
