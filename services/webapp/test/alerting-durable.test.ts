import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { EXCHANGE } from '../../../common/bus/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import type { HangupSource } from '../../../common/munin/index.js';
import { encodeMessage, type Message, type MessageInput, Message as MessageSchema } from '../../../common/schemas/index.js';
import { eventually } from '../../../common/testing/eventually.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { AlertService } from '../src/alerting/service.js';
import type { WebappConfig } from '../src/config.js';
import { migrate } from '../src/db/migrations.js';
import { createPool } from '../src/db/pool.js';
import { createTestDatabase } from './helpers.js';

const HOST = 'durable1.example.com';
const OTHER = 'durable2.example.com';
const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);

/**
 * What the engine keeps across restarts and removals (issue 13, "durable and honest"): munin's
 * unknown_limit, the problems' latest values without a write per point, links under public_url,
 * and the end of states whose rule or host is gone.
 */
describe('alerting: durable and honest', () => {
  let vhost: Vhost;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let config: WebappConfig;
  let pool: Pool;
  let broker: ChannelModel;
  let channel: ConfirmChannel;
  let service: AlertService;
  let contact: number;
  let temp: TempDir;
  const muninConf = () => join(temp.dir, 'munin.conf');
  const writeMuninConf = (warning: string, extra = '') =>
    writeFile(muninConf(), `[durable3.example.com]\n    address 127.0.0.1\n    cpu.user.warning ${warning}\n${extra}`);
  /** A SIGHUP the test sends. */
  const hangupListeners = new Set<() => void>();
  const hangups: HangupSource = { on: (l) => hangupListeners.add(l), off: (l) => hangupListeners.delete(l) };

  const publish = async (message: MessageInput) => {
    channel.publish(EXCHANGE, message.hostId, encodeMessage(MessageSchema.parse(message) as Message), { persistent: true });
    await channel.waitForConfirms();
  };
  const nowS = () => Math.floor(Date.now() / 1000);
  const point = (hostId: string, plugin: string, value: number | null, timestamp = nowS()) =>
    publish({ v: 1, kind: 'data', hostId, points: [{ plugin, timestamp, values: { [plugin]: value } }] });
  const info = (hostId: string, plugin: string, field: Record<string, unknown>) =>
    publish({ v: 1, kind: 'info', hostId, plugin, timestamp: nowS(), title: plugin, fields: { [plugin]: { label: plugin, ...field } } });
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query<RowDataPacket[]>(sql, params))[0];
  const history = async (plugin: string) =>
    (await rows('SELECT previous, state, reason, state_id FROM alert_history WHERE plugin = ? ORDER BY id', [plugin])).map((h) => ({
      ...h,
    }));
  const startService = async () => {
    const started = new AlertService({ config, pool, logger: silentLogger(), dispatcher: null, hangups });
    await started.start();
    await eventually(() => started.stats().consumer_consumerStarts > 0, 10_000, 'the alerting consumer');
    return started;
  };

  before(async () => {
    vhost = await createVhost('alert-durable');
    temp = await tempDir('alert-durable');
    await writeMuninConf('50');
    db = await createTestDatabase({
      NUMETER_WEBAPP_ALERTING_AMQP_URL: `amqp://127.0.0.1:5672/${encodeURIComponent(vhost.name)}`,
      NUMETER_WEBAPP_ALERTING_SWEEP_SECONDS: '3600',
      NUMETER_WEBAPP_ALERTING_RULES_RELOAD_SECONDS: '3600',
      NUMETER_WEBAPP_ALERTING_VALUE_FLUSH_SECONDS: '3600',
      NUMETER_WEBAPP_WEB_PUBLIC_URL: 'https://numeter.example.org/',
      NUMETER_WEBAPP_ALERTING_MUNIN_CONF: join(temp.dir, 'munin.conf'),
    });
    config = db.config;
    pool = createPool(config.database);
    await migrate(pool);
    await pool.query("INSERT INTO hosts (hostid, name) VALUES (?, 'Durable 1'), (?, 'Durable 2')", [HOST, OTHER]);
    const [c] = await pool.query<ResultSetHeader>(
      `INSERT INTO contacts (name, kind, settings, min_state) VALUES ('ops', 'webhook', '{"kind":"webhook","url":"http://127.0.0.1:9/"}', 'WARNING')`,
    );
    contact = c.insertId;
    broker = await amqp.connect(vhost.url);
    channel = await broker.createConfirmChannel();
    service = await startService();
  });

  after(async () => {
    await service?.stop();
    await broker?.close().catch(() => undefined);
    await pool?.end();
    await db?.drop();
    await vhost?.delete();
    await temp?.remove();
  });

  test("munin's unknown_limit is kept in alert_thresholds: after a restart one unknown value still turns a limit of 1 UNKNOWN", async () => {
    await info(HOST, 'temp', { warning: '50', extra: { unknown_limit: '1' } });
    await eventually(async () => (await rows("SELECT * FROM alert_thresholds WHERE plugin = 'temp'")).length === 1, 10_000, 'thresholds');
    const [t] = await rows("SELECT unknown_limit FROM alert_thresholds WHERE plugin = 'temp'");
    assert.equal(t.unknown_limit, '1');
    await service.stop();
    service = await startService();
    await point(HOST, 'temp', 20);
    await point(HOST, 'temp', null);
    await eventually(async () => (await history('temp')).length === 1, 10_000, 'UNKNOWN after one unknown value');
    assert.deepEqual(
      (await history('temp')).map((h) => `${h.previous}>${h.state}`),
      ['OK>UNKNOWN'],
    );
  });

  test('a problem keeps its latest value and reason, written by the periodic flush (and at stop), not per point', async () => {
    await info(HOST, 'load', { warning: '5', critical: '10' });
    await eventually(async () => (await rows("SELECT * FROM alert_thresholds WHERE plugin = 'load'")).length === 1, 10_000, 'thresholds');
    await point(HOST, 'load', 12);
    await eventually(async () => (await history('load')).length === 1, 10_000, 'the critical');
    for (const v of [13, 14, 15]) await point(HOST, 'load', v);
    const engineState = () => [...service.engine.snapshot().values()].find((st) => st.series.plugin === 'load');
    await eventually(() => engineState()?.value === 15, 10_000, 'the engine saw the last point');
    const state = async () => (await rows("SELECT last_value, reason FROM alert_states WHERE plugin = 'load'"))[0];
    assert.equal((await state()).last_value, 12, 'no write per point: the row holds the change until a flush');
    assert.equal(await service.flushLatestValues(), 2, 'the two problems (load, and temp UNKNOWN with its last value)');
    assert.equal((await state()).last_value, 15);
    assert.match((await state()).reason, /value 15 outside critical range :10/);
    assert.equal(await service.flushLatestValues(), 0, 'nothing new: nothing written');
    await point(HOST, 'load', 16);
    await eventually(() => engineState()?.value === 16, 10_000, 'the engine saw 16');
    await service.stop();
    assert.equal((await state()).last_value, 16, 'the stop wrote it');
    service = await startService();
    assert.equal([...service.engine.snapshot().values()].find((st) => st.series.plugin === 'load')?.value, 16);
  });

  test('notifications link to the graph on its host page under [web] public_url', async () => {
    const [n] = await rows(
      "SELECT n.payload FROM alert_notifications n JOIN alert_history h ON h.id = n.history_id WHERE h.plugin = 'load' AND n.contact_id = ?",
      [contact],
    );
    const [host] = await rows('SELECT id FROM hosts WHERE hostid = ?', [HOST]);
    assert.equal(json(n.payload).url, `https://numeter.example.org/hosts/${host.id}#graph-load`);
  });

  test('a disabled or deleted rule ends its states: a "rule removed" history row and notice, the state row gone, the history kept', async () => {
    const definition = { target: { kind: 'source', hostId: HOST, plugin: 'disk', field: 'disk' }, warning: { kind: 'above', value: 80 } };
    const [r] = await pool.query<ResultSetHeader>(
      'INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3))',
      ['disk full', JSON.stringify(definition)],
    );
    assert.equal(await service.reloadRulesIfChanged(), true);
    await point(HOST, 'disk', 90);
    await eventually(async () => (await history('disk')).length === 1, 10_000, 'the warning');
    await pool.query('UPDATE alert_rules SET enabled = FALSE, updated_at = NOW(3) + INTERVAL 1 SECOND WHERE id = ?', [r.insertId]);
    assert.equal(await service.reloadRulesIfChanged(), true);
    await service.sweepNow();
    await eventually(async () => (await history('disk')).length === 2, 10_000, 'the closing row');
    const closed = await history('disk');
    assert.deepEqual(
      closed.map((h) => `${h.previous}>${h.state} ${h.reason} ${h.state_id}`),
      ['OK>WARNING value 90 above warning 80 null', 'WARNING>OK rule removed null'],
    );
    assert.equal((await rows("SELECT * FROM alert_states WHERE plugin = 'disk'")).length, 0);
    const notices = await rows(
      `SELECT h.state, n.payload FROM alert_notifications n JOIN alert_history h ON h.id = n.history_id
        WHERE h.plugin = 'disk' AND n.contact_id = ? ORDER BY n.id`,
      [contact],
    );
    assert.deepEqual(
      notices.map((n) => `${n.state}:${json(n.payload).previous}:${json(n.payload).reason}`),
      ['WARNING:OK:value 90 above warning 80', 'OK:WARNING:rule removed'],
    );
    // The Problems page's query and a restart no longer see it.
    await service.stop();
    service = await startService();
    assert.equal([...service.engine.snapshot().values()].filter((st) => st.series.plugin === 'disk').length, 0);
  });

  test("a host deleted from the webapp: its states end ('host removed'), its munin thresholds and the rules on its sources go", async () => {
    await info(OTHER, 'load', { warning: '5' });
    await eventually(async () => (await rows('SELECT * FROM alert_thresholds WHERE hostid = ?', [OTHER])).length === 1, 10_000, 'thr');
    // A user rule on one of its sources, with a no-data condition (watched before any point).
    const definition = (hostId: string) => ({
      target: { kind: 'source', hostId, plugin: 'load', field: 'load' },
      warning: { kind: 'above', value: 100 },
      critical: { kind: 'nodata', minutes: 1 },
    });
    const insertRule = (name: string, hostId: string) =>
      pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3))', [
        name,
        JSON.stringify(definition(hostId)),
      ]);
    await insertRule('other load', OTHER);
    await insertRule('kept load', HOST);
    assert.equal(await service.reloadRulesIfChanged(), true);
    await service.sweepNow();
    const ruleStates = () => [...service.engine.states()].filter((st) => st.series.hostId === OTHER && st.ruleKey !== 'munin');
    assert.equal(ruleStates().length, 1, 'the source rule watches its series');
    await point(OTHER, 'load', 7);
    await eventually(async () => (await rows('SELECT * FROM alert_history WHERE hostid = ?', [OTHER])).length === 1, 10_000, 'warning');
    await pool.query('DELETE FROM hosts WHERE hostid = ?', [OTHER]);
    await service.reloadRulesIfChanged();
    await eventually(async () => (await rows('SELECT * FROM alert_history WHERE hostid = ?', [OTHER])).length === 2, 10_000, 'closed');
    const [last] = await rows('SELECT previous, state, reason FROM alert_history WHERE hostid = ? ORDER BY id DESC LIMIT 1', [OTHER]);
    assert.deepEqual({ ...last }, { previous: 'WARNING', state: 'OK', reason: 'host removed' });
    assert.equal((await rows('SELECT * FROM alert_states WHERE hostid = ?', [OTHER])).length, 0);
    assert.equal((await rows('SELECT * FROM alert_thresholds WHERE hostid = ?', [OTHER])).length, 0);
    assert.deepEqual(
      (await rows("SELECT name FROM alert_rules WHERE name IN ('other load', 'kept load')")).map((r) => r.name),
      ['kept load'],
      'the rule on the deleted host went with it, not the other',
    );
    await service.reloadRulesIfChanged();
    await service.sweepNow();
    assert.equal(ruleStates().length, 0, 'nothing watches the deleted host again');
    assert.ok((await rows('SELECT * FROM alert_states WHERE hostid = ?', [HOST])).length > 0, 'the other host keeps its states');
    await pool.query("DELETE FROM alert_rules WHERE name = 'kept load'");
  });

  test('munin.conf overrides are re-read when the file changes and on SIGHUP; a re-read with new problems is refused', async () => {
    const warning = async () => (await rows("SELECT warning, source FROM alert_thresholds WHERE hostid = 'durable3.example.com'"))[0];
    assert.deepEqual({ ...(await warning()) }, { warning: '50', source: 'munin_conf' });
    assert.equal(await service.reloadMuninConfIfChanged(), false, 'unchanged: not read again');
    await writeMuninConf('70');
    assert.equal(await service.reloadMuninConfIfChanged(), true);
    assert.equal((await warning()).warning, '70');
    // A SIGHUP re-reads at once, even a file whose change the stat cannot see.
    const reads = service.stats().muninConf_reads;
    for (const listener of hangupListeners) listener();
    await eventually(() => service.stats().muninConf_reads === reads + 1, 10_000, 're-read after the SIGHUP');
    assert.equal(await service.reloadMuninConfIfChanged(), false, 'and nothing is left to read');
    // Half-typed: a new problem. The last good overrides stay.
    await writeMuninConf('80', '[broken\n');
    assert.equal(await service.reloadMuninConfIfChanged(), false);
    assert.equal((await warning()).warning, '70');
    await writeMuninConf('90');
    assert.equal(await service.reloadMuninConfIfChanged(), true);
    assert.equal((await warning()).warning, '90');
    const rule = service.index.ruleOf('munin', { hostId: 'durable3.example.com', plugin: 'cpu', field: 'user' });
    assert.deepEqual(
      rule?.valueLevels.map((l) => l.condition),
      [{ kind: 'outside', max: 90 }],
      'the engine evaluates the new override',
    );
  });
});
