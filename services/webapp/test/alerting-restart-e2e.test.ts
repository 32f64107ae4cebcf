import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type express from 'express';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { ComponentGroup } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { AlertStateOut, Page, SilenceOut } from '../../../common/schemas/index.js';
import { eventually } from '../../../common/testing/eventually.js';
import { freePort } from '../../../common/testing/free-port.js';
import { type RunningMuninNode, startMuninNode } from '../../../common/testing/munin-node.js';
import { uniqueName } from '../../../common/testing/names.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import { type SmtpSink, smtpSink } from '../../../common/testing/smtp-sink.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { loadPollerConfig } from '../../poller/src/config/schema.js';
import { buildPoller } from '../../poller/src/poller-service.js';
import { StorageService } from '../../storage/src/storage-service.js';
import { testConfig } from '../../storage/test/ingest-fixtures.js';
import { AlertService } from '../src/alerting/service.js';
import { createApp } from '../src/app.js';
import { migrate } from '../src/db/migrations.js';
import { createPool } from '../src/db/pool.js';
import { type AppDeps, buildDeps } from '../src/deps.js';
import { FAST_DELIVERY } from './alert-delivery/world.js';
import { addUser, createTestDatabase, loginAgent } from './helpers.js';

const HOST = 'alert-restart-host';

/** A munin plugin whose value is a file the test writes, with munin's own warning and critical. */
const levelPlugin = (valueFile: string) => `#!/bin/sh
if [ "$1" = "config" ]; then
  echo "graph_title Tank level"
  echo "level.label level"
  echo "level.warning 50"
  echo "level.critical 80"
  exit 0
fi
echo "level.value $(cat ${valueFile})"
`;

/** One running copy of every service the alert path crosses, as separate processes would be. */
interface Services {
  poller: ComponentGroup;
  storage: StorageService;
  alerter: AlertService;
  alerterPool: Pool;
  web: { deps: AppDeps; app: express.Express };
}

/**
 * Issue 13's end to end test: a real munin-node plugin crosses its warning, then its critical;
 * then every service is stopped and started again (poller, storage, the webapp with its alerter
 * and dispatcher, and the SMTP server, python3-aiosmtpd); then the tank is refilled and it recovers. Each of the three
 * mails arrives exactly once; states, history, the acknowledgement and the silence (who, when)
 * come through the restarts.
 */
describe('alerting across a restart of every service: munin-node → poller → RabbitMQ → storage + alerter → MariaDB → aiosmtpd', () => {
  let vhost: Vhost;
  let temp: TempDir;
  let node: RunningMuninNode;
  let smtp: SmtpSink;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let services: Services | undefined;
  let muninPort: number;
  const redisPrefix = `${uniqueName('alert-restart')}:`;
  const valueFile = () => join(temp.dir, 'value');
  const setValue = async (v: number) => {
    await writeFile(valueFile(), `${v}\n`);
    await chmod(valueFile(), 0o644);
  };
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query<RowDataPacket[]>(sql, params))[0];
  const history = async () => (await rows('SELECT previous, state FROM alert_history ORDER BY id')).map((h) => `${h.previous}>${h.state}`);
  const subjects = () => smtp.mails.map((m) => m.subject.replace(/ \(.*$/, '').replace(/:.*$/, ''));

  async function startServices(): Promise<Services> {
    const storage = new StorageService({
      config: testConfig({ storageName: uniqueName('st'), amqpUrl: vhost.url, wspPath: join(temp.dir, 'wsp'), prefix: redisPrefix }),
      hostIds: [],
      logger: silentLogger(),
    });
    await storage.start();
    await storage.waitUntilConsuming();
    const alerterPool = createPool(db.config.database);
    const alerter = new AlertService({ config: db.config, pool: alerterPool, logger: silentLogger() });
    await alerter.start();
    await eventually(() => alerter.stats().consumer_consumerStarts > 0, 10_000, 'the alerting consumer');
    const deps = buildDeps(db.config, { logger: silentLogger() });
    const app = await createApp(deps, { mountUi: false });
    const pollerConfig = loadPollerConfig({
      file: join(temp.dir, 'absent.cfg'),
      env: {
        NUMETER_POLLER_GLOBAL_STATE_DIR: join(temp.dir, 'poller'),
        NUMETER_POLLER_GLOBAL_MODULES: 'munin',
        NUMETER_POLLER_GLOBAL_AMQP_URL: vhost.url,
        NUMETER_POLLER_GLOBAL_POLLER_TIME: '1',
        NUMETER_POLLER_GLOBAL_JITTER: '0',
        NUMETER_POLLER_MYINFO_HOST_ID: HOST,
        NUMETER_POLLER_MUNINMODULE_MUNIN_PORT: String(muninPort),
        NUMETER_POLLER_MUNINMODULE_PLUGINS_ENABLE: '^tank$',
      },
    });
    const built = await buildPoller(pollerConfig, { once: false, simulate: false }, silentLogger());
    const poller = new ComponentGroup('poller', built.components);
    await poller.start();
    return { poller, storage, alerter, alerterPool, web: { deps, app } };
  }

  async function stopServices(): Promise<void> {
    const s = services;
    services = undefined;
    if (!s) return;
    await s.poller.stop(5000);
    await s.web.deps.close();
    await s.alerter.stop();
    await s.alerterPool.end();
    await s.storage.stop();
  }

  const root = async () => {
    const web = services?.web;
    assert.ok(web);
    return { ...(await loginAgent(web.app, 'root', 'root-password')) };
  };

  before(async () => {
    temp = await tempDir('alert-restart');
    await chmod(temp.dir, 0o755); // the plugin runs as munin-node's user
    await setValue(30);
    muninPort = await freePort();
    node = await startMuninNode({ port: muninPort, extraPlugins: { tank: levelPlugin(valueFile()) } });
    smtp = smtpSink(await freePort());
    await smtp.start();
    vhost = await createVhost('alert-restart');
    db = await createTestDatabase({
      ...FAST_DELIVERY,
      NUMETER_WEBAPP_DELIVERY_MAX_ATTEMPTS: '50',
      NUMETER_WEBAPP_ALERTING_AMQP_URL: `amqp://127.0.0.1:5672/${encodeURIComponent(vhost.name)}`,
      NUMETER_WEBAPP_ALERTING_RULES_RELOAD_SECONDS: '1',
      NUMETER_WEBAPP_SMTP_PORT: String(smtp.port),
      NUMETER_WEBAPP_SMTP_STARTTLS: 'never',
      NUMETER_WEBAPP_WEB_PUBLIC_URL: 'https://numeter.example.org',
    });
    pool = createPool(db.config.database);
    await migrate(pool);
    await pool.query(
      `INSERT INTO contacts (name, kind, settings, min_state) VALUES ('ops', 'email', '{"kind":"email","to":["ops@example.org"]}', 'WARNING')`,
    );
    services = await startServices();
    await addUser(services.web.deps, 'root', 'root-password', { superuser: true });
  });

  after(async () => {
    await stopServices();
    await smtp?.stop();
    await node?.stop();
    await pool?.end();
    await db?.drop();
    await vhost?.delete();
    await deleteRedisPrefix(redisPrefix);
    await temp?.remove();
  });

  test('warning, critical, every service restarted, recovery: three mails, each once; states, history, ack and silence kept', async () => {
    await eventually(async () => (await rows('SELECT * FROM alert_thresholds')).length === 1, 20_000, 'the plugin thresholds');
    await setValue(60);
    await eventually(() => smtp.mails.length === 1, 20_000, 'the warning mail');
    await setValue(90);
    await eventually(() => smtp.mails.length === 2, 20_000, 'the critical mail');
    assert.deepEqual(subjects(), ['[numeter] WARNING', '[numeter] CRITICAL']);

    // Someone is on it: acknowledged, and a silence over the series (who and when kept).
    const admin = await root();
    const problems = Page(AlertStateOut).parse((await admin.agent.get('/rest/alerts/problems').expect(200)).body);
    assert.equal(problems.results.length, 1);
    const problem = problems.results[0];
    await admin.agent
      .post(`/rest/alerts/states/${problem.id}/ack`)
      .set('X-CSRF-Token', admin.csrf)
      .send({ comment: 'refilling' })
      .expect(200);
    const silence = SilenceOut.parse(
      (
        await admin.agent
          .post('/rest/alerts/silences')
          .set('X-CSRF-Token', admin.csrf)
          .send({ host_glob: HOST, plugin: 'tank', ends_at: new Date(Date.now() + 3_600_000).toISOString(), comment: 'maintenance' })
          .expect(201)
      ).body,
    );

    // Everything goes down and comes back.
    await stopServices();
    await smtp.stop();
    assert.deepEqual(await history(), ['OK>WARNING', 'WARNING>CRITICAL'], 'the history is in MariaDB');
    await smtp.start();
    services = await startServices();
    assert.deepEqual(
      [...services.alerter.engine.snapshot().values()].map((st) => `${st.ruleKey}=${st.state}`),
      ['munin=CRITICAL'],
      'the state comes back from MariaDB',
    );

    const again = await root();
    const kept = AlertStateOut.parse((await again.agent.get(`/rest/alerts/states/${problem.id}`).expect(200)).body);
    assert.equal(kept.acked_by, 'root');
    assert.ok(kept.acked_at !== null && Date.parse(kept.acked_at) <= Date.now());
    assert.equal(kept.ack_comment, 'refilling');
    const keptSilence = SilenceOut.parse((await again.agent.get(`/rest/alerts/silences/${silence.id}`).expect(200)).body);
    assert.equal(keptSilence.created_by, 'root');
    assert.equal(keptSilence.created_at, silence.created_at);
    assert.equal(keptSilence.active, true);
    // The maintenance is over before the recovery: the silence is expired early, and stays listed.
    await again.agent.delete(`/rest/alerts/silences/${silence.id}`).set('X-CSRF-Token', again.csrf).expect(204);
    await setValue(30);

    await eventually(() => smtp.mails.length === 3, 30_000, 'the recovery mail');
    await eventually(
      async () => (await rows("SELECT * FROM alert_notifications WHERE status <> 'sent'")).length === 0,
      10_000,
      'nothing left to send',
    );
    assert.deepEqual(subjects(), ['[numeter] WARNING', '[numeter] CRITICAL', '[numeter] OK']);
    assert.equal(new Set(smtp.mails.map((m) => m.notification)).size, 3, 'three notifications, none twice');
    assert.match(smtp.mails[2].text ?? '', /OK \(recovered from CRITICAL\)/);
    assert.deepEqual(await history(), ['OK>WARNING', 'WARNING>CRITICAL', 'CRITICAL>OK']);
    const [state] = await rows('SELECT state, acked_by FROM alert_states');
    assert.deepEqual({ ...state }, { state: 'OK', acked_by: null }, 'the recovery cleared the acknowledgement');
    const [expired] = await rows('SELECT ends_at, created_by FROM alert_silences WHERE id = ?', [silence.id]);
    assert.ok((expired.ends_at as Date).getTime() <= Date.now(), 'the silence ended early, kept for the record');
    const wsp = join(temp.dir, 'wsp');
    assert.ok(existsSync(wsp), 'the storage wrote the points too');
  });
});
