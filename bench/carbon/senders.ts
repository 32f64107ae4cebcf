import { Worker } from 'node:worker_threads';

/**
 * N TCP senders, each in its own worker thread (so they do not share the receiver's event
 * loop), writing carbon plaintext lines as fast as the socket takes them. Sender s sends
 * the series whose host index ≡ s (mod N), second after second: no two senders ever send
 * the same series, so every line is a distinct (series, second).
 */
export interface Workload {
  senders: number;
  hosts: number;
  plugins: number;
  values: number;
  /** Seconds of history per series. */
  seconds: number;
  /** Timestamp of the first second. */
  start: number;
  prefix: string;
}

export const seriesOf = (w: Workload) => w.hosts * w.plugins * w.values;
export const linesOf = (w: Workload) => seriesOf(w) * w.seconds;

const SENDER = `
const { workerData, parentPort } = require('node:worker_threads');
const { connect } = require('node:net');
const { port, index, w } = workerData;
const socket = connect(port, '127.0.0.1');
socket.setNoDelay(false);
let lines = 0;
function* chunks() {
  let text = '';
  for (let t = 0; t < w.seconds; t++) {
    const ts = w.start + t;
    for (let h = index; h < w.hosts; h += w.senders)
      for (let p = 0; p < w.plugins; p++)
        for (let v = 0; v < w.values; v++) {
          text += w.prefix + h + '.p' + p + '.v' + v + ' ' + (h + p + v + t) + ' ' + ts + '\\n';
          lines++;
          if (text.length > 65536) { yield text; text = ''; }
        }
  }
  if (text) yield text;
}
socket.on('connect', () => {
  const it = chunks();
  const pump = () => {
    for (;;) {
      const next = it.next();
      if (next.done) { socket.end(() => parentPort.postMessage(lines)); return; }
      if (!socket.write(next.value)) { socket.once('drain', pump); return; }
    }
  };
  pump();
});
socket.on('error', (e) => { throw e; });
`;

/** Resolves with the lines sent once every sender has written everything. */
export function runSenders(port: number, w: Workload): Promise<number> {
  return Promise.all(
    Array.from(
      { length: w.senders },
      (_, index) =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(SENDER, { eval: true, workerData: { port, index, w } });
          worker.once('message', (lines: number) => {
            resolve(lines);
            void worker.terminate();
          });
          worker.once('error', reject);
        }),
    ),
  ).then((counts) => counts.reduce((a, b) => a + b, 0));
}
