/** Events per second over the last `seconds` whole seconds (the current one excluded). */
export class RateMeter {
  private readonly buckets: number[];
  private currentSecond = 0;

  constructor(
    /** Epoch milliseconds. */
    private readonly nowMs: () => number,
    private readonly seconds = 10,
  ) {
    this.buckets = new Array(seconds + 1).fill(0);
  }

  add(count: number): void {
    this.advance();
    this.buckets[this.currentSecond % this.buckets.length] += count;
  }

  perSecond(): number {
    this.advance();
    let total = 0;
    for (let i = 1; i <= this.seconds; i++) total += this.buckets[(this.currentSecond - i + this.buckets.length * 2) % this.buckets.length];
    return total / this.seconds;
  }

  private advance(): void {
    const second = Math.floor(this.nowMs() / 1000);
    if (this.currentSecond === 0) this.currentSecond = second;
    const gap = Math.min(second - this.currentSecond, this.buckets.length);
    for (let i = 1; i <= gap; i++) this.buckets[(this.currentSecond + i) % this.buckets.length] = 0;
    if (second > this.currentSecond) this.currentSecond = second;
  }
}
