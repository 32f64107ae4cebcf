/**
 * The alerting engine (`numeter-webapp alerter`, or inside `serve`) on the shared lifecycle,
 * as every service's long-lived parts are tested: ten cycles leaving nothing behind, a second
 * concurrent stop, a start failing half way, and SIGTERM while the broker hangs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pool } from 'mysql2/promise';
import { silentLogger } from '../../../common/logging/index.js';
import { eventually } from '../../../common/testing/eventually.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../../common/testing/resources.js';
import { TcpProxy } from '../../../common/testing/tcp-proxy.js';
import { AlertService } from '../src/alerting/service.js';
import type { WebappConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { createTestDatabase } from './helpers.js';
import { runMain } from './run-main.js';

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
      // The stop deadline (10 s), the force-close allowance and the exit watchdog (2 s) at most.
      assert.ok(tookMs < 10_000 + 500 + 2000 + 2000, `exited ${tookMs} ms after SIGTERM`);
      assert.match(run.stderr, /signal received: stopping/);
    } finally {
      await proxy.stop();
    }
  });
});
