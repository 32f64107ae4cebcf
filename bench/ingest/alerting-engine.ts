/**
 * The alerting engine as the webapp runs it (AlertService with its notification
 * dispatcher), in its own process beside the storage, for bench/ingest's phases with
 * alerting: with-alerting.ts forks it and drives it over IPC. Its own MariaDB database;
 * one catch-all webhook contact pointing at the bench's receiver; its copy of every
 * message from numeter.alerting on the bench's vhost.
 *
 * argv: vhost URL, webhook URL, hosts. Commands: start {rules} (rules inserted, then an
 * engine started), wait {messages} (until that many are acked), stop, exit.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { silentLogger } from '../../common/logging/index.js';
import { AlertService } from '../../services/webapp/src/alerting/service.js';
import { loadWebappConfig } from '../../services/webapp/src/config.js';
import { migrate } from '../../services/webapp/src/db/migrations.js';
import { createPool } from '../../services/webapp/src/db/pool.js';
import { insertRules } from './alerting.js';
import { type EngineCommand, type EngineReply, PROBE_HOST, PROBE_PLUGIN, PROBE_THRESHOLD } from './with-alerting.js';

const [url, webhookUrl, hostsArg] = process.argv.slice(2);
const hosts = Number(hostsArg);
const dbName = `nmt_bench_engine_${randomBytes(4).toString('hex')}`;
const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
await admin.query(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4`);
const config = loadWebappConfig(undefined, false, {
  NUMETER_WEBAPP_DATABASE_USER: 'root',
  NUMETER_WEBAPP_DATABASE_NAME: dbName,
  NUMETER_WEBAPP_ALERTING_AMQP_URL: url,
  NUMETER_WEBAPP_ALERTING_PREFETCH: '500',
});
const pool = createPool(config.database);
await migrate(pool);
await pool.query("INSERT INTO contacts (name, kind, settings) VALUES ('bench', 'webhook', ?)", [
  JSON.stringify({ kind: 'webhook', url: webhookUrl }),
]);
let service: AlertService | undefined;
let cpuAtStart = process.cpuUsage();
let startedAtMs = Date.now();
const send = (reply: EngineReply) => process.send?.(reply);

async function run(command: EngineCommand): Promise<void> {
  if (command.cmd === 'start') {
    await pool.query('DELETE FROM alert_rules');
    if (command.rules > 0) {
      await insertRules(pool, command.rules, hosts, (h) => `bench-host-${h}`);
      await pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3))', [
        'probe',
        JSON.stringify({
          target: { kind: 'pattern', hostGlob: PROBE_HOST, pluginGlob: PROBE_PLUGIN, fieldGlob: 'v*' },
          critical: { kind: 'above', value: PROBE_THRESHOLD },
        }),
      ]);
    }
    service = new AlertService({ config, pool, logger: silentLogger() });
    await service.start();
    while (service.stats().consumer_consumerStarts === 0) await new Promise((r) => setTimeout(r, 5));
    cpuAtStart = process.cpuUsage();
    startedAtMs = Date.now();
    send({ reply: 'started' });
  } else if (command.cmd === 'wait') {
    const s = service as AlertService;
    let acked = 0;
    let lastAckMs = Date.now();
    while (acked < command.messages) {
      await new Promise((r) => setTimeout(r, 5));
      const now = s.stats().consumer_acked;
      if (now !== acked) lastAckMs = Date.now();
      acked = now;
    }
    const cpu = process.cpuUsage(cpuAtStart);
    const stats = s.stats();
    send({
      reply: 'drained',
      lastAckMs,
      cpuShare: (cpu.user + cpu.system) / 1e3 / Math.max(1, lastAckMs - startedAtMs),
      evaluations: stats.engine_evaluations,
      states: stats.engine_states,
    });
  } else if (command.cmd === 'stop') {
    await service?.stop();
    service = undefined;
    send({ reply: 'stopped' });
  } else {
    await service?.stop();
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
    process.exit(0);
  }
}

process.on('message', (command: EngineCommand) => {
  run(command).catch((error) => send({ reply: 'failed', error: String((error as Error).stack ?? error) }));
});
send({ reply: 'ready' });
