/**
 * The alerting engine alone, part of bench/ingest (the stricter of its two alerting
 * figures; with-alerting.ts measures the storage's ingestion beside the engine). Real
 * RabbitMQ (own vhost) and MariaDB (own database).
 *
 * BENCH_ALERT_HOSTS × 10 plugins × 5 values × BENCH_ALERT_MINUTES minutes are published
 * into numeter.alerting while the engine is stopped, then an engine is started and timed
 * from the end of its start() (rules loaded) to the last ack, five times in turn: without
 * rules, with BENCH_ALERT_RULES rules, without, with, without. Nine rules in ten are on one
 * source each, every one evaluated on every point of its series and never crossed; one in
 * ten is a pattern, matched once per series and cached. The ratio is the mean rate with
 * rules over the mean rate without, by the clock and by the process' CPU time (the
 * second is what the engine costs, whatever else the machine runs meanwhile).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import mysql, { type Pool } from 'mysql2/promise';
import { BusPublisher } from '../../common/bus/index.js';
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
/** The engine-alone goal: with rules, at least this share of the rate without. */
export const RULES_RATIO_GOAL = 0.95;
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

interface Consumed {
  seconds: number;
  cpuSeconds: number;
  points: number;
}

/** Starts an engine over the backlog and times it until every message is acked. */
async function consumeBacklog(config: WebappConfig, pool: Pool, publisher: BusPublisher): Promise<Consumed> {
  const messages = await publishBacklog(publisher);
  const service = new AlertService({ config, pool, logger: silentLogger(), dispatcher: null });
  // Timed from the end of start(): loading the rules is not ingestion (the consumer connects after it).
  await service.start();
  const cpu = process.cpuUsage();
  const started = performance.now();
  while (service.stats().consumer_acked < messages) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await service.stop();
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, points: messages * PLUGINS * VALUES };
}

/**
 * `count` rules over hosts `hostName(0..hosts-1)` with plugins plugin0..9 and fields
 * ds0..4: nine in ten on one source, one in ten a pattern on one host's plugin{1,2}, ds*.
 * None crosses (critical above 1e9). Also used by the engine beside the storage.
 */
export async function insertRules(pool: Pool, count: number, hosts: number, hostName: (h: number) => string): Promise<void> {
  const rows: unknown[][] = [];
  for (let i = 0; i < count; i++) {
    const target =
      i % 10 === 9
        ? { kind: 'pattern', hostGlob: hostName(i % hosts), pluginGlob: 'plugin{1,2}', fieldGlob: 'ds*' }
        : { kind: 'source', hostId: hostName(i % hosts), plugin: `plugin${Math.floor(i / hosts) % PLUGINS}`, field: `ds${i % VALUES}` };
    rows.push([`bench ${i}`, true, JSON.stringify({ target, critical: { kind: 'above', value: 1e9 } }), new Date(), new Date()]);
  }
  for (let i = 0; i < rows.length; i += 1000)
    await pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES ?', [rows.slice(i, i + 1000)]);
}

export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
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
    const none: Consumed[] = [];
    const withRules: Consumed[] = [];
    for (let run = 0; run < 5; run++) {
      await pool.query('DELETE FROM alert_rules');
      if (run % 2 === 1) await insertRules(pool, RULES, HOSTS, host);
      (run % 2 === 1 ? withRules : none).push(await consumeBacklog(config, pool, publisher));
    }
    const mean = (runs: Consumed[], of: (r: Consumed) => number) => runs.reduce((sum, r) => sum + r.points / of(r), 0) / runs.length;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const list = (runs: Consumed[], of: (r: Consumed) => number) => runs.map((r) => fmt(r.points / of(r))).join(', ');
    const wall = (r: Consumed) => r.seconds;
    const cpu = (r: Consumed) => r.cpuSeconds;
    const wallRatio = mean(withRules, wall) / mean(none, wall);
    const cpuRatio = mean(withRules, cpu) / mean(none, cpu);
    console.log(
      `alerting engine alone: ${HOSTS} hosts × ${PLUGINS} plugins × ${VALUES} values × ${MINUTES} minutes = ${fmt(none[0].points)} points queued, then consumed; runs without, with ${fmt(RULES)} rules, without, with, without`,
    );
    console.log(`  without rules: ${list(none, wall)} points/s; ${list(none, cpu)} points per CPU-second`);
    console.log(`  with ${fmt(RULES)} rules: ${list(withRules, wall)} points/s; ${list(withRules, cpu)} points per CPU-second`);
    console.log(
      `  ratio with rules / without: ${wallRatio.toFixed(3)} by the clock, ${cpuRatio.toFixed(3)} by CPU time (goal ≥ ${RULES_RATIO_GOAL}): ${verdict(wallRatio >= RULES_RATIO_GOAL)} / ${verdict(cpuRatio >= RULES_RATIO_GOAL)}`,
    );
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
