import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { ALERTING_QUEUE, EXCHANGE } from '../../../common/bus/index.js';
import { type Clock, systemClock } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import {
  AlertNotification,
  encodeMessage,
  type Message,
  type MessageInput,
  Message as MessageSchema,
} from '../../../common/schemas/index.js';
import { eventually } from '../../../common/testing/eventually.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { AlertService } from '../src/alerting/service.js';
import type { WebappConfig } from '../src/config.js';
import { migrate } from '../src/db/migrations.js';
import { createPool } from '../src/db/pool.js';
import { createTestDatabase } from './helpers.js';

/** Real time plus an offset the test moves: the broker and MariaDB run in real time, silence is faked. */
class OffsetClock implements Clock {
  offsetMs = 0;
  nowMs = () => systemClock.nowMs() + this.offsetMs;
  nowSeconds = () => this.nowMs() / 1000;
  setTimeout = systemClock.setTimeout;
  clearTimeout = systemClock.clearTimeout;
}

const HOST = 'web1.example.com';
/** mysql2 hands a JSON column back parsed or as text depending on the server's column type. */
const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value);

describe('alerting engine over RabbitMQ and MariaDB', () => {
  let vhost: Vhost;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let config: WebappConfig;
  let pool: Pool;
  let broker: ChannelModel;
  let channel: ConfirmChannel;
  const clock = new OffsetClock();
  let service: AlertService;
  let contacts: { all: number; critical: number; otherGroup: number; ownGroup: number };

  const publish = async (message: MessageInput) => {
    channel.publish(EXCHANGE, message.hostId, encodeMessage(MessageSchema.parse(message) as Message), { persistent: true });
    await channel.waitForConfirms();
  };
  const publishRaw = async (body: Buffer) => {
    channel.publish(EXCHANGE, HOST, body, { persistent: true });
    await channel.waitForConfirms();
  };
  const nowS = () => Math.floor(Date.now() / 1000);
  const load = (value: number | null, timestamp = nowS()) =>
    publish({ v: 1, kind: 'data', hostId: HOST, points: [{ plugin: 'load', timestamp, values: { load: value } }] });
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query<RowDataPacket[]>(sql, params))[0];
  const historyCount = async () => Number((await rows('SELECT COUNT(*) AS n FROM alert_history'))[0].n);
  /** A started engine whose consumer is on the queue (the bus connects in the background). */
  const startService = async () => {
    const started = new AlertService({ config, pool, logger: silentLogger(), clock, dispatcher: null });
    await started.start();
    await eventually(() => started.stats().consumer_consumerStarts > 0, 10_000, 'the alerting consumer');
    return started;
  };

  before(async () => {
    vhost = await createVhost('alert-engine');
    db = await createTestDatabase({
      NUMETER_WEBAPP_ALERTING_AMQP_URL: `amqp://127.0.0.1:5672/${encodeURIComponent(vhost.name)}`,
      NUMETER_WEBAPP_ALERTING_NODATA_MINUTES: '10',
      NUMETER_WEBAPP_ALERTING_SWEEP_SECONDS: '3600',
      NUMETER_WEBAPP_ALERTING_RULES_RELOAD_SECONDS: '3600',
    });
    config = db.config;
    pool = createPool(config.database);
    await migrate(pool);
    await pool.query("INSERT INTO usergroups (name) VALUES ('web'), ('db')");
    await pool.query(
      "INSERT INTO hosts (hostid, name, group_id) VALUES (?, 'Web server 1', (SELECT id FROM usergroups WHERE name = 'web'))",
      [HOST],
    );
    const contact = async (name: string, minState: string, group: string | null) => {
      const settings = JSON.stringify({ kind: 'webhook', url: `http://127.0.0.1:9/${name}` });
      const [r] = await pool.query<import('mysql2').ResultSetHeader>(
        'INSERT INTO contacts (name, kind, settings, min_state, group_id) VALUES (?, ?, ?, ?, (SELECT id FROM usergroups WHERE name = ?))',
        [name, 'webhook', settings, minState, group],
      );
      return r.insertId;
    };
    contacts = {
      all: await contact('everyone', 'WARNING', null),
      critical: await contact('pager', 'CRITICAL', null),
      ownGroup: await contact('web-team', 'WARNING', 'web'),
      otherGroup: await contact('db-team', 'WARNING', 'db'),
    };
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
  });

  test('declares the alerting queue with its bounds and single active consumer', async () => {
    const check = await channel.checkQueue(ALERTING_QUEUE);
    assert.equal(check.consumerCount, 1);
    // A declaration with other arguments is refused by the broker: redeclaring without the limits fails.
    const probe = await broker.createChannel();
    probe.on('error', () => undefined);
    await assert.rejects(
      probe.assertQueue(ALERTING_QUEUE, { durable: true, arguments: { 'x-queue-type': 'classic' } }),
      /PRECONDITION_FAILED/,
    );
  });

  test('a munin field crosses its warning, then its critical, and recovers: states, history and outbox rows', async () => {
    await publish({
      v: 1,
      kind: 'info',
      hostId: HOST,
      plugin: 'load',
      timestamp: nowS(),
      title: 'Load average',
      fields: { load: { label: 'load', warning: '5', critical: '10' } },
    });
    await eventually(async () => (await rows('SELECT * FROM alert_thresholds')).length === 1, 10_000, 'the thresholds saved');
    const [threshold] = await rows('SELECT hostid, plugin, field, warning, critical, source FROM alert_thresholds');
    assert.deepEqual({ ...threshold }, { hostid: HOST, plugin: 'load', field: 'load', warning: '5', critical: '10', source: 'info' });

    await load(1);
    await load(5); // equal to the bound: munin says OK
    await load(7);
    await eventually(async () => (await historyCount()) === 1, 10_000, 'the warning');
    await load(12);
    await eventually(async () => (await historyCount()) === 2, 10_000, 'the critical');
    const [state] = await rows('SELECT state, reason, last_value FROM alert_states WHERE rule_key = ?', ['munin']);
    assert.equal(state.state, 'CRITICAL');
    assert.equal(state.last_value, 12);
    assert.match(state.reason, /value 12 outside critical range :10/);

    // The engine restarts in CRITICAL: the recovery is a change from CRITICAL, not from a forgotten OK.
    await service.stop();
    service = await startService();
    await load(2);
    await eventually(async () => (await historyCount()) === 3, 10_000, 'the recovery');

    const history = await rows('SELECT previous, state, value FROM alert_history ORDER BY id');
    assert.deepEqual(
      history.map((h) => `${h.previous}>${h.state}@${h.value}`),
      ['OK>WARNING@7', 'WARNING>CRITICAL@12', 'CRITICAL>OK@2'],
    );
    const outbox = await rows(
      `SELECT n.contact_id, n.status, n.repeat_no, n.payload, h.state FROM alert_notifications n JOIN alert_history h ON h.id = n.history_id ORDER BY n.id`,
    );
    const to = (contact: number) => outbox.filter((n) => n.contact_id === contact).map((n) => n.state);
    assert.deepEqual(to(contacts.all), ['WARNING', 'CRITICAL', 'OK']);
    assert.deepEqual(to(contacts.ownGroup), ['WARNING', 'CRITICAL', 'OK']);
    assert.deepEqual(to(contacts.critical), ['CRITICAL', 'OK'], 'min_state CRITICAL: the critical and its recovery');
    assert.deepEqual(to(contacts.otherGroup), [], "another group's contact hears nothing");
    for (const n of outbox) {
      assert.equal(n.status, 'pending');
      const payload = AlertNotification.parse(json(n.payload));
      assert.equal(payload.hostName, 'Web server 1');
      assert.equal(payload.ruleKey, 'munin');
      assert.deepEqual(payload.series, { hostId: HOST, plugin: 'load', field: 'load' });
    }
    const recovery = outbox.filter((n) => n.state === 'OK').map((n) => json(n.payload));
    assert.ok(recovery.every((p) => p.previous === 'CRITICAL' && p.value === 2));
    assert.equal(new Set(outbox.map((n) => json(n.payload).id)).size, outbox.length, 'every payload id is unique');
  });

  test('hostile and unknown messages are skipped and the next point is still evaluated', async () => {
    const before = service.stats();
    await publishRaw(Buffer.from('not json at all'));
    await publishRaw(Buffer.from(JSON.stringify({ v: 1, kind: 'mystery', hostId: HOST })));
    await publishRaw(Buffer.from('{"v":1,"kind":"data","hostId":"../../etc","points":[{"plugin":"load","timestamp":1,"values":{}}]}'));
    await publishRaw(Buffer.from([0xff, 0xfe, 0x00]));
    const count = await historyCount();
    await load(11);
    await eventually(async () => (await historyCount()) === count + 1, 10_000, 'the point after the bad messages');
    assert.equal(service.stats().refused - before.refused, 4);
    await load(1);
    await eventually(async () => (await historyCount()) === count + 2, 10_000, 'the recovery');
  });

  test('munin series go UNKNOWN after nodata_minutes of silence, and a user nodata rule fires at its level', async () => {
    const definition = {
      target: { kind: 'source', hostId: HOST, plugin: 'load', field: 'load' },
      critical: { kind: 'nodata', minutes: 20 },
    };
    await pool.query('INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3))', [
      'load reported',
      JSON.stringify(definition),
    ]);
    assert.equal(await service.reloadRulesIfChanged(), true);
    assert.equal(await service.reloadRulesIfChanged(), false, 'nothing changed since');
    await load(1);
    const count = await historyCount();
    clock.offsetMs += 11 * 60_000;
    await service.sweepNow();
    await eventually(async () => (await historyCount()) === count + 1, 10_000, 'UNKNOWN');
    const [munin] = await rows("SELECT state, reason FROM alert_states WHERE rule_key = 'munin'");
    assert.equal(munin.state, 'UNKNOWN');
    assert.match(munin.reason, /no data for 11 minutes/);
    clock.offsetMs += 10 * 60_000;
    await service.sweepNow();
    await eventually(async () => (await historyCount()) === count + 2, 10_000, 'the nodata rule');
    const [rule] = await rows("SELECT state FROM alert_states WHERE rule_key LIKE 'rule:%'");
    assert.equal(rule.state, 'CRITICAL');
    // Data again: both recover.
    await load(1);
    await eventually(async () => (await historyCount()) === count + 4, 10_000, 'both recoveries');
    const states = await rows('SELECT rule_key, state FROM alert_states ORDER BY rule_key');
    assert.deepEqual(
      states.map((s) => s.state),
      ['OK', 'OK'],
    );
  });

  test('an acknowledgement is cleared by the next change', async () => {
    await pool.query("UPDATE alert_states SET acked_at = NOW(3), ack_comment = 'looking' WHERE rule_key = 'munin'");
    const count = await historyCount();
    await load(8);
    await eventually(async () => (await historyCount()) === count + 1, 10_000, 'the warning');
    const [state] = await rows("SELECT state, acked_at, ack_comment FROM alert_states WHERE rule_key = 'munin'");
    assert.equal(state.state, 'WARNING');
    assert.equal(state.acked_at, null);
    assert.equal(state.ack_comment, null);
  });
});
