import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { type Clock, ComponentGroup, systemClock } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { eventually } from '../../../common/testing/eventually.js';
import { type RunningMuninNode, startMuninNode } from '../../../common/testing/munin-node.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { loadPollerConfig } from '../../poller/src/config/schema.js';
import { buildPoller } from '../../poller/src/poller-service.js';
import { AlertService } from '../src/alerting/service.js';
import { migrate } from '../src/db/migrations.js';
import { createPool } from '../src/db/pool.js';
import { createTestDatabase } from './helpers.js';

/** Real time plus an offset the test moves: the poller and the broker run in real time, silence is faked. */
class OffsetClock implements Clock {
  offsetMs = 0;
  nowMs = () => systemClock.nowMs() + this.offsetMs;
  nowSeconds = () => this.nowMs() / 1000;
  setTimeout = systemClock.setTimeout;
  clearTimeout = systemClock.clearTimeout;
}

const PORT = 24963;
const HOST = 'alert-e2e-host';

/** A munin plugin whose value is a file the test writes, with munin's own warning and critical. */
const levelPlugin = (valueFile: string) => `#!/bin/sh
if [ "$1" = "config" ]; then
  echo "graph_title Tank level"
  echo "level.label level"
  echo "level.warning 50"
  echo "level.critical 20:80"
  exit 0
fi
echo "level.value $(cat ${valueFile})"
`;

describe('alerting end to end: munin-node → poller → RabbitMQ → engine → MariaDB', () => {
  let vhost: Vhost;
  let temp: TempDir;
  let node: RunningMuninNode;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let poller: ComponentGroup;
  let service: AlertService;
  const clock = new OffsetClock();
  const valueFile = () => join(temp.dir, 'value');
  const setValue = async (v: number) => {
    await writeFile(valueFile(), `${v}\n`);
    await chmod(valueFile(), 0o644);
  };
  const rows = async (sql: string) => (await pool.query<RowDataPacket[]>(sql))[0];
  const states = async () => (await rows('SELECT previous, state FROM alert_history ORDER BY id')).map((h) => `${h.previous}>${h.state}`);

  before(async () => {
    temp = await tempDir('alert-e2e');
    await chmod(temp.dir, 0o755); // the plugin runs as munin-node's user
    await setValue(30);
    node = await startMuninNode({ port: PORT, extraPlugins: { tank: levelPlugin(valueFile()) } });
    vhost = await createVhost('alert-e2e');
    db = await createTestDatabase({
      NUMETER_WEBAPP_ALERTING_AMQP_URL: `amqp://127.0.0.1:5672/${encodeURIComponent(vhost.name)}`,
      NUMETER_WEBAPP_ALERTING_SWEEP_SECONDS: '3600',
    });
    pool = createPool(db.config.database);
    await migrate(pool);
    const [contact] = await pool.query<ResultSetHeader>(
      'INSERT INTO contacts (name, kind, settings, min_state) VALUES (\'ops\', \'webhook\', \'{"kind":"webhook","url":"http://127.0.0.1:9/"}\', \'WARNING\')',
    );
    assert.ok(contact.insertId > 0);
    await pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3))', [
      'tank reports',
      JSON.stringify({ target: { kind: 'source', hostId: HOST, plugin: 'tank', field: 'level' }, warning: { kind: 'nodata', minutes: 5 } }),
    ]);
    service = new AlertService({ config: db.config, pool, logger: silentLogger(), clock, dispatcher: null });
    await service.start();
    await eventually(() => service.stats().consumer_consumerStarts > 0, 10_000, 'the alerting consumer');
    const config = loadPollerConfig({
      file: join(temp.dir, 'absent.cfg'),
      env: {
        NUMETER_POLLER_GLOBAL_STATE_DIR: join(temp.dir, 'poller'),
        NUMETER_POLLER_GLOBAL_MODULES: 'munin',
        NUMETER_POLLER_GLOBAL_AMQP_URL: vhost.url,
        NUMETER_POLLER_GLOBAL_POLLER_TIME: '1',
        NUMETER_POLLER_GLOBAL_JITTER: '0',
        NUMETER_POLLER_MYINFO_HOST_ID: HOST,
        NUMETER_POLLER_MUNINMODULE_MUNIN_PORT: String(PORT),
        NUMETER_POLLER_MUNINMODULE_PLUGINS_ENABLE: '^tank$',
      },
    });
    const built = await buildPoller(config, { once: false, simulate: false }, silentLogger());
    poller = new ComponentGroup('poller', built.components);
    await poller.start();
  });

  after(async () => {
    await poller?.stop(5000);
    await service?.stop();
    await node?.stop();
    await pool?.end();
    await db?.drop();
    await vhost?.delete();
    await temp?.remove();
  });

  test("the plugin's thresholds arrive with its config, then warning, critical and recovery are recorded with their outbox rows", async () => {
    await eventually(async () => (await rows('SELECT * FROM alert_thresholds')).length === 1, 20_000, 'the plugin thresholds');
    const [t] = await rows('SELECT hostid, plugin, field, warning, critical FROM alert_thresholds');
    assert.deepEqual({ ...t }, { hostid: HOST, plugin: 'tank', field: 'level', warning: '50', critical: '20:80' });
    await setValue(60);
    await eventually(async () => (await states()).length === 1, 20_000, 'the warning');
    await setValue(90);
    await eventually(async () => (await states()).length === 2, 20_000, 'the critical');
    await setValue(10);
    const munin = () => [...service.engine.snapshot().values()].find((st) => st.ruleKey === 'munin');
    await eventually(
      () => /value 10 outside critical range 20:80/.test(munin()?.reason ?? ''),
      20_000,
      'below the range: critical, another reason',
    );
    assert.equal(munin()?.state, 'CRITICAL');
    await setValue(30);
    await eventually(async () => (await states()).length === 3, 20_000, 'the recovery');
    const history = await rows('SELECT previous, state, value FROM alert_history ORDER BY id');
    assert.deepEqual(
      history.map((h) => `${h.previous}>${h.state}@${h.value}`),
      ['OK>WARNING@60', 'WARNING>CRITICAL@90', 'CRITICAL>OK@30'],
    );
    const outbox = await rows(
      'SELECT h.state, n.status FROM alert_notifications n JOIN alert_history h ON h.id = n.history_id ORDER BY n.id',
    );
    assert.deepEqual(
      outbox.map((n) => `${n.state}:${n.status}`),
      ['WARNING:pending', 'CRITICAL:pending', 'OK:pending'],
    );
  });

  test('the poller stops: the munin series goes UNKNOWN and the nodata rule fires; both survive a restart of the engine', async () => {
    await poller.stop(5000);
    const count = (await states()).length;
    clock.offsetMs += 11 * 60_000;
    await service.sweepNow();
    await eventually(async () => (await states()).length === count + 2, 10_000, 'UNKNOWN and the nodata warning');
    const current = async () =>
      (await rows('SELECT rule_key, state FROM alert_states ORDER BY rule_key')).map((r) => `${r.rule_key}=${r.state}`);
    assert.deepEqual(await current(), ['munin=UNKNOWN', 'rule:1=WARNING']);
    await service.stop();
    service = new AlertService({ config: db.config, pool, logger: silentLogger(), clock, dispatcher: null });
    await service.start();
    const restored = [...service.engine.snapshot().values()].map((st) => `${st.ruleKey}=${st.state}`).sort();
    assert.deepEqual(restored, ['munin=UNKNOWN', 'rule:1=WARNING']);
    await eventually(() => service.stats().consumer_consumerStarts > 0, 10_000, 'the alerting consumer');
    await poller.start();
    await eventually(async () => (await current()).join() === 'munin=OK,rule:1=OK', 20_000, 'both recover once points flow again');
    const last = await rows('SELECT previous, state FROM alert_history ORDER BY id DESC LIMIT 2');
    assert.deepEqual(last.map((h) => `${h.previous}>${h.state}`).sort(), ['UNKNOWN>OK', 'WARNING>OK']);
  });
});
