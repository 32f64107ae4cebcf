import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAlertmanager } from '../../../../common/testing/alertmanager.js';
import { eventually } from '../../../../common/testing/eventually.js';
import { freePort } from '../../../../common/testing/free-port.js';
import { smtpSink } from '../../../../common/testing/smtp-sink.js';
import { tempDir } from '../../../../common/testing/temp-dir.js';
import { makeNotification, type OutboxWorld, outboxWorld } from './world.js';

const HOSTILE_HOST = 'web1 <b>&"\'\r\nBcc: victim@example.com';

describe('alert delivery to real peers: python3-aiosmtpd and prometheus-alertmanager', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('delivery-peers');
  });
  after(async () => {
    await dir.remove();
  });

  describe('mail through aiosmtpd', () => {
    let world: OutboxWorld;
    let smtp: ReturnType<typeof smtpSink>;
    before(async () => {
      smtp = smtpSink(await freePort());
      world = await outboxWorld({
        NUMETER_WEBAPP_SMTP_PORT: String(smtp.port),
        NUMETER_WEBAPP_SMTP_FROM: 'numeter@example.org',
        NUMETER_WEBAPP_SMTP_STARTTLS: 'never',
        NUMETER_WEBAPP_DELIVERY_MAX_ATTEMPTS: '50',
      });
    });
    after(async () => {
      await smtp.stop();
      await world.drop();
    });

    it('one mail per notification, with the munin-like subject and text, hostile names kept out of the headers', async () => {
      await smtp.start();
      const ops = await world.addContact('ops-mail', { kind: 'email', to: ['ops@example.org', 'oncall@example.org'] });
      const problem = makeNotification({ hostName: HOSTILE_HOST, reason: 'value 93.5 above critical 90 ünïcode ✓' });
      const recovery = makeNotification({ previous: 'CRITICAL', state: 'OK', value: 12, reason: 'value 12 within range' });
      const rows = [await world.addNotification(ops, problem), await world.addNotification(ops, recovery)];
      const dispatcher = world.dispatcher();
      await dispatcher.start();
      try {
        await eventually(async () => (await Promise.all(rows.map((id) => world.notification(id)))).every((r) => r.status === 'sent'));
      } finally {
        await dispatcher.stop();
      }
      assert.equal(smtp.mails.length, 2);
      const first = smtp.mails.find((m) => m.notification === problem.id);
      assert.ok(first, 'the problem mail');
      assert.deepEqual(first.to, ['ops@example.org', 'oncall@example.org']);
      assert.equal(first.from, 'numeter@example.org');
      assert.equal(first.messageId, `<${problem.id}@numeter>`);
      assert.equal(first.subject, `[numeter] CRITICAL: web1 <b>&"' Bcc: victim@example.com (web1.example) :: cpu :: user`);
      assert.equal(
        first.text?.replace(/\r\n/g, '\n'),
        [
          `web1 <b>&"' Bcc: victim@example.com (web1.example) :: cpu :: user`,
          '\tCRITICAL: user is 93.5 (value 93.5 above critical 90 ünïcode ✓).',
          '',
          'Rule: munin threshold (munin)',
          `Changed at: ${new Date(problem.changedAt * 1000).toISOString()}`,
          `Graph: ${problem.url}`,
          `Notification: ${problem.id}`,
          '',
        ].join('\n'),
      );
      const second = smtp.mails.find((m) => m.notification === recovery.id);
      assert.equal(second?.subject, '[numeter] OK (recovered from CRITICAL): web1 (web1.example) :: cpu :: user');
    });

    it('the relay down for a while: the mail arrives after it is back, once, and the contact shows the failure meanwhile', async () => {
      await smtp.stop();
      const before = smtp.mails.length;
      const ops = await world.addContact('ops-mail-2', { kind: 'email', to: ['ops@example.org'] });
      const payload = makeNotification();
      const row = await world.addNotification(ops, payload);
      const dispatcher = world.dispatcher();
      await dispatcher.start();
      try {
        await eventually(async () => (await world.notification(row)).attempts >= 2, 10_000, 'two failed attempts');
        const down = await world.contact(ops);
        assert.ok(down.failing_since instanceof Date);
        assert.match(down.last_error, /mail through 127\.0\.0\.1:\d+ failed.*ECONNREFUSED/);
        assert.equal((await world.notification(row)).status, 'pending');
        await smtp.start();
        await eventually(async () => (await world.notification(row)).status === 'sent', 10_000, 'the mail after the relay is back');
      } finally {
        await dispatcher.stop();
      }
      const mails = smtp.mails.slice(before).filter((m) => m.notification === payload.id);
      assert.equal(mails.length, 1, 'delivered once');
      const up = await world.contact(ops);
      assert.equal(up.failing_since, null);
      assert.ok(up.last_success_at instanceof Date);
    });
  });

  describe('Alertmanager v2', () => {
    let world: OutboxWorld;
    let am: Awaited<ReturnType<typeof startAlertmanager>>;
    before(async () => {
      am = await startAlertmanager(dir.dir);
      world = await outboxWorld();
    });
    after(async () => {
      await am.stop();
      await world.drop();
    });

    async function deliver(contact: number, payload: ReturnType<typeof makeNotification>): Promise<void> {
      const row = await world.addNotification(contact, payload);
      const dispatcher = world.dispatcher();
      await dispatcher.start();
      try {
        await eventually(async () => (await world.notification(row)).status !== 'pending');
      } finally {
        await dispatcher.stop();
      }
      const done = await world.notification(row);
      assert.equal(done.status, 'sent', done.last_error);
    }

    it('fires with the labels and annotations, moves from warning to critical, and is resolved on recovery', async () => {
      const contact = await world.addContact('am', { kind: 'alertmanager', url: `${am.base}/` });
      const nowSeconds = Math.floor(Date.now() / 1000);
      const series = { hostId: 'db1<x>&"y', plugin: 'disk', field: "sda{1}='" };
      const common = { series, hostName: HOSTILE_HOST, ruleKey: 'rule:4' as const, ruleName: 'disk "full" <soon>' };
      await deliver(
        contact,
        makeNotification({ ...common, previous: 'OK', state: 'WARNING', changedAt: nowSeconds - 30, reason: 'above 80' }),
      );
      let alerts = await am.alerts();
      assert.equal(alerts.length, 1);
      assert.deepEqual(alerts[0].labels, {
        alertname: 'disk "full" <soon>',
        rule_key: 'rule:4',
        host: 'db1<x>&"y',
        plugin: 'disk',
        field: "sda{1}='",
        severity: 'warning',
      });
      assert.equal(alerts[0].status.state, 'active');
      assert.equal(alerts[0].annotations.host_name, HOSTILE_HOST);
      assert.equal(alerts[0].annotations.description, 'above 80');
      assert.equal(alerts[0].generatorURL, 'http://numeter.example/graph?host=web1.example');
      assert.equal(Date.parse(alerts[0].startsAt), (nowSeconds - 30) * 1000);

      await deliver(contact, makeNotification({ ...common, previous: 'WARNING', state: 'CRITICAL', changedAt: nowSeconds - 20 }));
      alerts = await am.alerts();
      const active = alerts.filter((a) => a.status.state === 'active' && Date.parse(a.endsAt) > Date.now());
      assert.deepEqual(
        active.map((a) => a.labels.severity),
        ['critical'],
        'the warning alert is resolved when the critical one fires',
      );

      await deliver(contact, makeNotification({ ...common, previous: 'CRITICAL', state: 'OK', changedAt: nowSeconds - 10 }));
      alerts = await am.alerts();
      const stillActive = alerts.filter((a) => Date.parse(a.endsAt) > Date.now());
      assert.deepEqual(stillActive, [], 'nothing active after the recovery');
      for (const a of alerts) assert.ok(Date.parse(a.endsAt) <= nowSeconds * 1000, `resolved: ${a.labels.severity} ends at ${a.endsAt}`);
    });
  });
});
