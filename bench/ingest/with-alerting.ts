/**
 * bench/ingest's phases with alerting (the issue's figure): the storage's sustained
 * ingestion while an alerting engine (AlertService and its dispatcher, in its own process:
 * alerting-engine.ts) consumes its copy of the same messages on the same machine, three
 * times in turn: without rules, with BENCH_ALERT_RULES rules, without again. The ratio is
 * the storage's rate with rules over the mean of the two without.
 *
 * During the phase with rules, latency probes: every PROBE_EVERY_MS a point crossing a
 * pattern rule's threshold on a new series of `probe-host` (OK → CRITICAL once each),
 * timed from its publish until the dispatcher's webhook POST for it reaches the bench's
 * HTTP receiver: the notification has left, as the issue asks, through the outbox, the
 * dispatcher's poll (its default `poll_interval_ms`) and a real HTTP send.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BusPublisher } from '../../common/bus/index.js';
import { type DataMessage, encodeMessage } from '../../common/schemas/index.js';
import { verdict } from './alerting.js';

export type EngineCommand = { cmd: 'start'; rules: number } | { cmd: 'wait'; messages: number } | { cmd: 'stop' } | { cmd: 'exit' };
export type EngineReply =
  | { reply: 'ready' }
  | { reply: 'started' }
  | { reply: 'drained'; lastAckMs: number; cpuShare: number; evaluations: number; states: number }
  | { reply: 'stopped' }
  | { reply: 'failed'; error: string };

/** The series the latency probes cross on, one field each. */
export const PROBE_HOST = 'probe-host';
export const PROBE_PLUGIN = 'probe';
export const PROBE_THRESHOLD = 50;
/** A crossing every 100 ms: ten alerts a second, an alert storm, while the storage ingests at full speed. */
const PROBE_EVERY_MS = 100;
const MAX_PROBES = 1000;
/** A notification later than this after its probe's publish is counted as never sent. */
const PROBE_DEADLINE_MS = 30_000;
export const LATENCY_GOAL_MS = 5000;
export const INGEST_RATIO_GOAL = 0.95;

/** What main.ts's storage phase measures (points, seconds, last ack). */
export interface StoragePhase {
  seconds: number;
  points: number;
  messages: number;
  lastAckMs: number;
}

interface EnginePhase<P extends StoragePhase> {
  rules: number;
  storage: P;
  engineLagSeconds: number;
  engineCpuShare: number;
  evaluations: number;
}

export interface AlertingFigures<P extends StoragePhase> {
  phases: Array<EnginePhase<P>>;
  ratio: number;
  probes: { sent: number; received: number; p50: number; p99: number };
}

/** The engine child, with one request-reply at a time over IPC. */
class EngineProcess {
  private readonly child: ChildProcess;
  private waiting?: { resolve: (r: EngineReply) => void; reject: (e: Error) => void };
  private readonly ready: Promise<EngineReply>;

  constructor(url: string, webhookUrl: string, hosts: number) {
    this.child = fork(fileURLToPath(new URL('./alerting-engine.ts', import.meta.url)), [url, webhookUrl, String(hosts)], {
      // BENCH_ENGINE_PROFILE=<dir>: a V8 CPU profile of the engine process (node --cpu-prof).
      execArgv: [
        '--import',
        'tsx',
        ...(process.env.BENCH_ENGINE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_ENGINE_PROFILE}`] : []),
      ],
    });
    this.ready = this.next();
    this.child.on('message', (reply: EngineReply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (reply.reply === 'failed') waiting?.reject(new Error(`alerting engine process: ${reply.error}`));
      else waiting?.resolve(reply);
    });
    this.child.on('exit', (code) => this.waiting?.reject(new Error(`alerting engine process exited (${code})`)));
  }

  whenReady(): Promise<EngineReply> {
    return this.ready;
  }

  async ask(command: EngineCommand): Promise<EngineReply> {
    const reply = this.next();
    this.child.send(command);
    return reply;
  }

  async exit(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ cmd: 'exit' } satisfies EngineCommand);
    await exited;
  }

  private next(): Promise<EngineReply> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }
}

/** The webhook receiver: the arrival time of each probe's notification, by probe number. */
async function startReceiver(): Promise<{ server: Server; url: string; arrivals: Map<number, number> }> {
  const arrivals = new Map<number, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      try {
        const n = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { series?: { hostId?: string; field?: string } };
        if (n.series?.hostId === PROBE_HOST && n.series.field?.startsWith('v')) {
          const probe = Number(n.series.field.slice(1));
          if (!arrivals.has(probe)) arrivals.set(probe, at);
        }
      } catch {
        // Not a probe's notification: nothing to time.
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, arrivals };
}

/** Publishes a crossing on a new series every PROBE_EVERY_MS until stopped; their publish times. */
function startProbes(publisher: BusPublisher): { stop(): Promise<Map<number, number>> } {
  const sent = new Map<number, number>();
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped && i < MAX_PROBES; i++) {
      const msg: DataMessage = {
        v: 1,
        kind: 'data',
        hostId: PROBE_HOST,
        points: [{ plugin: PROBE_PLUGIN, timestamp: Math.floor(Date.now() / 1000), values: { [`v${i}`]: PROBE_THRESHOLD + 40 } }],
      };
      sent.set(i, performance.now());
      await publisher.publishRaw(msg.hostId, encodeMessage(msg));
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return sent;
    },
  };
}

/**
 * Runs the three phases on minutes [fromMinute, fromMinute + 3 × minutes): `storagePhase`
 * is main.ts's sustained phase (publisher child → storage, timed first publish → last ack).
 */
export async function ingestWithAlerting<P extends StoragePhase>(opts: {
  url: string;
  hosts: number;
  rules: number;
  fromMinute: number;
  minutes: number;
  storagePhase: (fromMinute: number, toMinute: number) => Promise<P>;
}): Promise<AlertingFigures<P>> {
  const receiver = await startReceiver();
  const engine = new EngineProcess(opts.url, receiver.url, opts.hosts);
  const publisher = new BusPublisher({ url: opts.url });
  const phases: Array<EnginePhase<P>> = [];
  let latencies: number[] = [];
  let sentProbes = 0;
  try {
    await engine.whenReady();
    await publisher.start();
    await publisher.whenConnected();
    for (const [k, rules] of [0, opts.rules, 0].entries()) {
      const from = opts.fromMinute + k * opts.minutes;
      await engine.ask({ cmd: 'start', rules });
      const probes = rules > 0 ? startProbes(publisher) : undefined;
      const storage = await opts.storagePhase(from, from + opts.minutes);
      const sent = (await probes?.stop()) ?? new Map<number, number>();
      const drained = await engine.ask({ cmd: 'wait', messages: storage.messages + sent.size });
      if (drained.reply !== 'drained') throw new Error(`alerting engine: unexpected ${drained.reply}`);
      if (sent.size > 0) {
        latencies = await probeLatencies(sent, receiver.arrivals);
        sentProbes = sent.size;
      }
      await engine.ask({ cmd: 'stop' });
      phases.push({
        rules,
        storage,
        engineLagSeconds: (drained.lastAckMs - storage.lastAckMs) / 1000,
        engineCpuShare: drained.cpuShare,
        evaluations: drained.evaluations,
      });
    }
  } finally {
    await publisher.stop();
    await engine.exit();
    await new Promise((resolve) => receiver.server.close(resolve));
  }
  const rate = (p: EnginePhase<P>) => p.storage.points / p.storage.seconds;
  const ratio = rate(phases[1]) / ((rate(phases[0]) + rate(phases[2])) / 2);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
  return { phases, ratio, probes: { sent: sentProbes, received: latencies.length, p50: pct(50), p99: pct(99) } };
}

/** Waits for each probe's notification (until PROBE_DEADLINE_MS after the last publish); sorted latencies of those that came. */
async function probeLatencies(sent: Map<number, number>, arrivals: Map<number, number>): Promise<number[]> {
  const last = Math.max(...sent.values());
  while (arrivals.size < sent.size && performance.now() - last < PROBE_DEADLINE_MS) await new Promise((r) => setTimeout(r, 20));
  const latencies: number[] = [];
  for (const [probe, at] of sent) {
    const arrived = arrivals.get(probe);
    if (arrived !== undefined && arrived - at <= PROBE_DEADLINE_MS) latencies.push(arrived - at);
  }
  arrivals.clear();
  return latencies.sort((a, b) => a - b);
}

export function printAlertingFigures<P extends StoragePhase>(f: AlertingFigures<P>, hosts: number, minutes: number): boolean {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `with alerting: the storage's sustained ingestion (${hosts} hosts × ${minutes} minutes per phase) while an alerting engine in its own process consumes its copy of every message:`,
  );
  for (const p of f.phases) {
    console.log(
      `  ${p.rules ? `with ${fmt(p.rules)} rules` : 'without rules'}: storage ${fmt(p.storage.points / p.storage.seconds)} points/s; engine done ${p.engineLagSeconds.toFixed(2)} s after the storage's last ack, ${(p.engineCpuShare * 100).toFixed(0)} % of one core, ${fmt(p.evaluations)} rule evaluations`,
    );
  }
  const ratioOk = f.ratio >= INGEST_RATIO_GOAL;
  console.log(
    `  ingestion ratio with rules / without (mean of the two): ${f.ratio.toFixed(3)} (goal ≥ ${INGEST_RATIO_GOAL}): ${verdict(ratioOk)}`,
  );
  const all = f.probes.received === f.probes.sent && f.probes.sent > 0;
  const latencyOk = all && f.probes.p99 < LATENCY_GOAL_MS;
  console.log(
    `  publish → webhook notification received, ${f.probes.sent} threshold crossings during the phase with rules (${f.probes.received} notified): p50 ${f.probes.p50.toFixed(0)} ms, p99 ${f.probes.p99.toFixed(0)} ms (goal p99 < ${LATENCY_GOAL_MS} ms, every one notified): ${verdict(latencyOk)}`,
  );
  return ratioOk && latencyOk;
}
