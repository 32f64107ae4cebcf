/**
 * What bench/scale asks the storage while it works: the event-loop delay its preloaded
 * loop-probe.mjs saw over a window, and the slowest of `/health` requests sent every 20 ms
 * meanwhile (what a user or a monitor waiting on the storage during a big render would see).
 */
export interface LoopDelay {
  loop: { maxMs: number; p99Ms: number; meanMs: number };
  healthMaxMs: number;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/**
 * The body's size and its first bytes, read as it comes and dropped: a 429 MB render
 * concatenated by `arrayBuffer()` held this process's event loop, and with it the `/health`
 * pinger, for seconds, which the figure then blamed on the storage.
 */
export async function drainBody(res: Response): Promise<{ bytes: number; head: string }> {
  let bytes = 0;
  let head = '';
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return { bytes, head };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes, head };
    if (head.length < 200) head += Buffer.from(value.subarray(0, 200)).toString('utf8');
    bytes += value.length;
  }
}

async function probe(path: 'reset' | 'read'): Promise<LoopDelay['loop']> {
  const res = await fetch(`http://127.0.0.1:${process.env.BENCH_LOOP_PROBE_PORT}/${path}`);
  return (await res.json()) as LoopDelay['loop'];
}

export async function loopDelayDuring(apiUrl: string, headers: Record<string, string>, work: () => Promise<void>): Promise<LoopDelay> {
  await probe('reset');
  let running = true;
  let healthMaxMs = 0;
  const pinger = (async () => {
    while (running) {
      const start = performance.now();
      const answered = await fetch(`${apiUrl}/health`, { headers })
        .then((r) => r.arrayBuffer())
        .then(() => true)
        .catch(() => false);
      // A storage that stopped answering fails the figure (never) instead of the whole bench.
      healthMaxMs = answered ? Math.max(healthMaxMs, performance.now() - start) : Number.POSITIVE_INFINITY;
      if (!answered) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await pinger;
  }
  const never = { maxMs: Number.POSITIVE_INFINITY, p99Ms: Number.POSITIVE_INFINITY, meanMs: Number.POSITIVE_INFINITY };
  return { loop: await probe('read').catch(() => never), healthMaxMs };
}
