/**
 * Alerting benchmark, part of bench/ingest: the engine's ingestion with 10,000 active rules
 * against the same run without rules, and the latency from a point's publish to its outbox
 * row. Real RabbitMQ (own vhost) and MariaDB (own database).
 *
 * Throughput: BENCH_ALERT_HOSTS × 10 plugins × 5 values × BENCH_ALERT_MINUTES minutes are
 * published into numeter.alerting while the engine is stopped, then an engine is started
 * and timed from the end of its start() (rules loaded) to the last ack: once without rules, once with BENCH_ALERT_RULES
 * rules (nine in ten on one source each, every one evaluated on every point of its series
 * and never crossed; one in ten a pattern, matched once per series and cached), then
 * without rules again (the reference is the mean of the two). Latency: BENCH_ALERT_PROBES
 * points, one at a time, each crossing a threshold (OK → CRITICAL) on a new series of a
 * pattern rule, with a catch-all contact; timed from publish until its alert_notifications row exists.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import mysql, { type Pool } from 'mysql2/promise';
import { BusPublisher, EXCHANGE } from '../../common/bus/index.js';
import { silentLogger } from '../../common/logging/index.js';
import { type DataMessage, encodeMessage } from '../../common/schemas/index.js';
import { createVhost, type Vhost } from '../../common/testing/rabbitmq-vhost.js';
import { AlertService } from '../../services/webapp/src/alerting/service.js';
import { loadWebappConfig, type WebappConfig } from '../../services/webapp/src/config.js';
import { migrate } from '../../services/webapp/src/db/migrations.js';
import { createPool } from '../../services/webapp/src/db/pool.js';

const env = (name: string, def: number) => Number(process.env[name] ?? def);
const HOSTS = env('BENCH_ALERT_HOSTS', 200);
const PLUGINS = 10;
const VALUES = 5;
const MINUTES = env('BENCH_ALERT_MINUTES', 20);
const RULES = env('BENCH_ALERT_RULES', 10_000);
const PROBES = env('BENCH_ALERT_PROBES', 200);
/** A probe that waits longer is a failure, not a slow run: the bench must end. */
const PROBE_DEADLINE_MS = 30_000;
const T0 = Math.floor(Date.now() / 1000 / 60) * 60 - (MINUTES + 5) * 60;

const host = (h: number) => `alert-bench-${h}`;
function message(h: number, m: number): DataMessage {
  const points = [];
  for (let p = 0; p < PLUGINS; p++) {
    const values: Record<string, number> = {};
    for (let v = 0; v < VALUES; v++) values[`ds${v}`] = (h + p + v + m) % 100;
    points.push({ plugin: `plugin${p}`, timestamp: T0 + m * 60, values });
  }
  return { v: 1, kind: 'data', hostId: host(h), points };
}

async function publishBacklog(publisher: BusPublisher): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  for (let m = 0; m < MINUTES; m++) {
    for (let h = 0; h < HOSTS; h++) {
      const msg = message(h, m);
      const sent = publisher.publishRaw(msg.hostId, encodeMessage(msg)).finally(() => inFlight.delete(sent));
      inFlight.add(sent);
      if (inFlight.size >= 500) await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  return HOSTS * MINUTES;
}

/** Starts an engine over the backlog and times it until every message is acked. */
async function consumeBacklog(config: WebappConfig, pool: Pool, publisher: BusPublisher): Promise<{ seconds: number; points: number }> {
  const messages = await publishBacklog(publisher);
  const service = new AlertService({ config, pool, logger: silentLogger(), dispatcher: null });
  // Timed from the end of start(): loading the rules is not ingestion (the consumer connects after it).
  await service.start();
  const started = performance.now();
  while (service.stats().consumer_acked < messages) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  await service.stop();
  return { seconds, points: messages * PLUGINS * VALUES };
}

async function insertRules(pool: Pool, count: number): Promise<void> {
  await pool.query('DELETE FROM alert_rules');
  const rows: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const target =
      i % 10 === 9
        ? { kind: 'pattern', hostGlob: `alert-bench-${i % HOSTS}`, pluginGlob: 'plugin{1,2}', fieldGlob: 'ds*' }
        : { kind: 'source', hostId: host(i % HOSTS), plugin: `plugin${Math.floor(i / HOSTS) % PLUGINS}`, field: `ds${i % VALUES}` };
    rows.push([`bench ${i}`, true, JSON.stringify({ target, critical: { kind: 'above', value: 1e9 } }), new Date(), new Date()]);
  }
  for (let i = 0; i < rows.length; i += 1000)
    await pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES ?', [rows.slice(i, i + 1000)]);
}

/** One probe at a time: publish a crossing, wait for its outbox row. */
async function probeLatencies(config: WebappConfig, pool: Pool, publisher: BusPublisher): Promise<number[]> {
  await pool.query(
    'INSERT INTO contacts (name, kind, settings) VALUES (\'bench\', \'webhook\', \'{"kind":"webhook","url":"http://127.0.0.1:9/"}\')',
  );
  await pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3))', [
    'probe',
    JSON.stringify({
      target: { kind: 'pattern', hostGlob: 'probe-host', pluginGlob: 'probe', fieldGlob: 'v*' },
      critical: { kind: 'above', value: 50 },
    }),
  ]);
  const service = new AlertService({ config, pool, logger: silentLogger(), dispatcher: null });
  await service.start();
  while (service.stats().consumer_consumerStarts === 0) await new Promise((r) => setTimeout(r, 5));
  const latencies: number[] = [];
  try {
    for (let i = 0; i < PROBES; i++) {
      const msg: DataMessage = {
        v: 1,
        kind: 'data',
        hostId: 'probe-host',
        // A new series each time: OK → CRITICAL once. Crossing back and forth on one series
        // is flapping, which the engine damps (no notification), and the wait would never end.
        points: [{ plugin: 'probe', timestamp: T0 + i, values: { [`v${i}`]: 90 } }],
      };
      const sent = performance.now();
      await publisher.publishRaw(msg.hostId, encodeMessage(msg));
      for (;;) {
        const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM alert_notifications');
        if (Number(rows[0].n) > i) break;
        if (performance.now() - sent > PROBE_DEADLINE_MS)
          throw new Error(`probe ${i}: no outbox row ${PROBE_DEADLINE_MS} ms after its publish (is the engine consuming?)`);
        await new Promise((r) => setTimeout(r, 2));
      }
      latencies.push(performance.now() - sent);
    }
  } finally {
    await service.stop();
  }
  return latencies.sort((a, b) => a - b);
}

export async function alertingBench(): Promise<void> {
  const vhost: Vhost = await createVhost('bench-alerting');
  const dbName = `nmt_bench_alert_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  await admin.query(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4`);
  const config = loadWebappConfig(undefined, false, {
    NUMETER_WEBAPP_DATABASE_USER: 'root',
    NUMETER_WEBAPP_DATABASE_NAME: dbName,
    NUMETER_WEBAPP_ALERTING_AMQP_URL: `amqp://127.0.0.1:5672/${encodeURIComponent(vhost.name)}`,
    NUMETER_WEBAPP_ALERTING_PREFETCH: '500',
  });
  const pool = createPool(config.database);
  const publisher = new BusPublisher({ url: vhost.url });
  try {
    await migrate(pool);
    await publisher.start();
    await publisher.whenConnected();
    // The queue must exist before the backlog is published: one engine start declares it.
    const first = new AlertService({ config, pool, logger: silentLogger(), dispatcher: null });
    await first.start();
    while (first.stats().consumer_consumerStarts === 0) await new Promise((r) => setTimeout(r, 5));
    await first.stop();
    const none1 = await consumeBacklog(config, pool, publisher);
    await insertRules(pool, RULES);
    const withRules = await consumeBacklog(config, pool, publisher);
    await pool.query('DELETE FROM alert_rules');
    const none2 = await consumeBacklog(config, pool, publisher);
    const rate = (r: { seconds: number; points: number }) => r.points / r.seconds;
    const reference = (rate(none1) + rate(none2)) / 2;
    const latencies = await probeLatencies(config, pool, publisher);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(
      `alerting workload: ${HOSTS} hosts × ${PLUGINS} plugins × ${VALUES} values × ${MINUTES} minutes = ${fmt(none1.points)} points, queued, then consumed by the engine`,
    );
    console.log(
      `alerting engine without rules: ${fmt(rate(none1))} and ${fmt(rate(none2))} points/s (reference: their mean ${fmt(reference)})`,
    );
    console.log(`alerting engine with ${fmt(RULES)} active rules: ${fmt(rate(withRules))} points/s`);
    console.log(`ratio with rules / without: ${(rate(withRules) / reference).toFixed(3)} (goal ≥ 0.95)`);
    console.log(
      `publish → outbox row, ${latencies.length} threshold crossings one at a time: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms`,
    );
    console.log(`(exchange ${EXCHANGE} → numeter.alerting; the dispatcher's send time is measured by delivery's own tests)`);
  } finally {
    await publisher.stop();
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
    await vhost.delete();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  alertingBench().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
