// Preloaded into the benchmark's storage (node --import): its event-loop delay, read from
// outside on 127.0.0.1:$BENCH_LOOP_PROBE_PORT. GET /reset starts a window, GET /read returns
// the window's max, p99 and mean delay in milliseconds. The probe answers on the storage's own
// event loop, so a stalled loop delays the answer too (the window is read after the stall).
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const port = Number(process.env.BENCH_LOOP_PROBE_PORT);
if (port > 0) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const server = createServer((req, res) => {
    if (req.url === '/reset') histogram.reset();
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    const body = { maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), meanMs: ms(histogram.mean) };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  server.listen(port, '127.0.0.1');
  server.unref();
}
