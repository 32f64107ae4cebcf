/**
 * Long loops of a request cut into slices of the event loop's time: `due()` is checked at
 * each step and, once the slice has run `sliceMs`, `next()` lets the loop serve other
 * callbacks (a /health, a read's answer) before going on. A render over 1,000 hosts walks
 * 1,000 hosts, plugins and files in loops of microtasks that never gave the loop back.
 */
export class TimeSlice {
  private since = performance.now();

  constructor(private readonly sliceMs = 5) {}

  /** True once this slice has run its time (then await next()). */
  due(): boolean {
    return performance.now() - this.since >= this.sliceMs;
  }

  /** Lets other callbacks run, then starts a new slice. */
  async next(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}
