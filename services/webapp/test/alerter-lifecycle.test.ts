/**
 * The alerting engine (`numeter-webapp alerter`, or inside `serve`) on the shared lifecycle,
 * as every service's long-lived parts are tested: ten cycles leaving nothing behind, a second
 * concurrent stop, a start failing half way, and SIGTERM while the broker hangs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import amqp from 'amqplib';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { pino } from 'pino';
import { EXCHANGE } from '../../../common/bus/index.js';
import { EXIT_WATCHDOG_MS, FORCE_CLOSE_MS } from '../../../common/lifecycle/index.js';
import { type Logger, silentLogger } from '../../../common/logging/index.js';
import type { HangupSource } from '../../../common/munin/index.js';
import { eventually } from '../../../common/testing/eventually.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../../common/testing/resources.js';
import { TcpProxy } from '../../../common/testing/tcp-proxy.js';
import { AlertService } from '../src/alerting/service.js';
import { STOP_DEADLINE_MS, type WebappConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { createTestDatabase } from './helpers.js';
import { runMain } from './run-main.js';

/** A logger whose lines (JSON) land in `lines`. */
function captureLogger(lines: string[]): Logger {
  return pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
}

describe('alerting engine: the shared lifecycle', () => {
  let vhost: Vhost;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let config: WebappConfig;
  let pool: Pool;

  before(async () => {
    vhost = await createVhost('alerter-lifecycle');
    db = await createTestDatabase({ NUMETER_WEBAPP_ALERTING_AMQP_URL: `amqp://127.0.0.1:5672/${encodeURIComponent(vhost.name)}` });
    config = db.config;
    pool = createPool(config.database);
  });
  after(async () => {
    await pool?.end();
    await db?.drop();
    await vhost?.delete();
  });

  /** The engine with its default notification dispatcher, as `alerter` runs it. */
  const service = (over: Partial<WebappConfig['alerting']> = {}) =>
    new AlertService({ config: { ...config, alerting: { ...config.alerting, ...over } }, pool, logger: silentLogger() });

  it('ten start/stop cycles in one process consume each time and leave nothing running; a second stop awaits the first', async (t) => {
    const engine = service();
    await engine.start(); // migrations and the pool's first connections, outside the baseline
    await engine.stop();
    const baseline = await resourceBaseline();
    t.after(() => engine.stop());
    for (let cycle = 1; cycle <= 10; cycle++) {
      await engine.start();
      await eventually(() => engine.stats().consumer_consumerStarts === 1, 10_000, `consumer ${cycle} on the queue`);
      let firstDone = false;
      const first = engine.stop(5000).then(() => {
        firstDone = true;
      });
      await engine.stop(5000);
      assert.equal(firstDone, true, 'the second stop resolved before the first');
      await first;
    }
    await assertNoResourcesLeft(baseline);
  });

  it('a start that fails half way (after migrations, rules and states, at the broker URL) stops what it had started', async () => {
    const baseline = await resourceBaseline();
    const engine = service({ amqp_url: 'http://127.0.0.1:5672/' });
    await assert.rejects(engine.start(), { name: 'InvalidBrokerUrlError' });
    await assertNoResourcesLeft(baseline);
    // Nothing half-started stays behind: a start with a good URL works on the same object.
    const fixed = service();
    await fixed.start();
    await fixed.stop();
  });

  it('numeter-webapp alerter: SIGTERM while the broker hangs (no answer, no reset) exits within the stop deadline', async () => {
    const proxy = new TcpProxy();
    await proxy.start();
    let signalledAt = 0;
    try {
      const run = await runMain(
        ['alerter'],
        { ...db.env, NUMETER_WEBAPP_ALERTING_AMQP_URL: proxy.url(vhost.name) },
        {
          timeoutMs: 60_000,
          onStderr: (stderr, child) => {
            if (signalledAt || !stderr.includes('connected to broker')) return;
            proxy.freeze();
            signalledAt = Date.now();
            child.kill('SIGTERM');
          },
        },
      );
      assert.ok(signalledAt > 0, run.stderr);
      assert.equal(run.signal, null, `killed, not exited by itself: ${run.stderr}`);
      const tookMs = run.exitedAt - signalledAt;
      // The stop deadline, the force-close allowance and the exit watchdog at most (and 2 s of process scheduling).
      assert.ok(tookMs < STOP_DEADLINE_MS + FORCE_CLOSE_MS + EXIT_WATCHDOG_MS + 2000, `exited ${tookMs} ms after SIGTERM`);
      assert.match(run.stderr, /signal received: stopping/);
    } finally {
      await proxy.stop();
    }
  });

  it('SIGHUP without munin_conf: the rule tables are checked at once, and the log says there is nothing else', async () => {
    const listeners = new Set<() => void>();
    const hangups: HangupSource = { on: (l) => listeners.add(l), off: (l) => listeners.delete(l) };
    const lines: string[] = [];
    const engine = new AlertService({
      config: { ...config, alerting: { ...config.alerting, rules_reload_seconds: 3600, munin_conf: '' } },
      pool,
      logger: captureLogger(lines),
      dispatcher: null,
      hangups,
    });
    await engine.start();
    try {
      assert.equal(listeners.size, 1, 'listening for SIGHUP though munin_conf is not set');
      const reloads = engine.stats().ruleReloads;
      await pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3))', [
        'hup',
        JSON.stringify({
          target: { kind: 'source', hostId: 'hup1', plugin: 'load', field: 'load' },
          critical: { kind: 'above', value: 1 },
        }),
      ]);
      for (const listener of listeners) listener();
      await eventually(() => engine.stats().ruleReloads === reloads + 1, 10_000, 'the new rule loaded after the SIGHUP');
      assert.ok(lines.some((l) => /SIGHUP: no \[alerting\] munin_conf to re-read/.test(l)));
    } finally {
      await engine.stop();
      await pool.query("DELETE FROM alert_rules WHERE name = 'hup'");
    }
    assert.equal(listeners.size, 0, 'the stop stops listening');
  });

  it('stop with the database not answering: inputs first, exits within its deadline; the message in flight is written once', async () => {
    const engine = new AlertService({ config, pool, logger: silentLogger(), dispatcher: null });
    await pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3))', [
      'stuck',
      JSON.stringify({
        target: { kind: 'pattern', hostGlob: 'stuck1', pluginGlob: '*', fieldGlob: '*' },
        critical: { kind: 'above', value: 1 },
      }),
    ]);
    await engine.start();
    await eventually(() => engine.stats().consumer_consumerStarts > 0, 10_000, 'consuming');
    const locker = await mysql.createConnection({ host: '127.0.0.1', user: 'root', database: db.name });
    const broker = await amqp.connect(vhost.url);
    try {
      // The history table is locked: the change's transaction waits in its INSERT.
      await locker.query('LOCK TABLES alert_history WRITE');
      const channel = await broker.createConfirmChannel();
      const message = {
        v: 1,
        kind: 'data',
        hostId: 'stuck1',
        points: [{ plugin: 'load', timestamp: Math.floor(Date.now() / 1000), values: { load: 5 } }],
      };
      channel.publish(EXCHANGE, 'stuck1', Buffer.from(JSON.stringify(message)), { persistent: true });
      await channel.waitForConfirms();
      await eventually(() => engine.stats().consumer_received >= 1, 10_000, 'the message in flight');
      const started = Date.now();
      await engine.stop(3000);
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 3000 + 2500, `stopped ${tookMs} ms after stop(3000)`);
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    }
    // The requeued message is evaluated again by the next engine: still one change recorded.
    const again = new AlertService({ config, pool, logger: silentLogger(), dispatcher: null });
    await again.start();
    try {
      await eventually(() => again.stats().consumer_acked >= 1, 10_000, 'the requeued message, acked');
      const history = async () =>
        (await pool.query<RowDataPacket[]>("SELECT previous, state FROM alert_history WHERE hostid = 'stuck1'"))[0].map(
          (h) => `${h.previous}>${h.state}`,
        );
      await eventually(async () => (await history()).length > 0, 10_000, 'the change');
      assert.deepEqual(await history(), ['OK>CRITICAL']);
    } finally {
      await again.stop();
      await broker.close();
      await pool.query("DELETE FROM alert_rules WHERE name = 'stuck'");
    }
  });
});
