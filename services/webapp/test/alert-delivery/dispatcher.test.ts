import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { eventually } from '../../../../common/testing/eventually.js';
import { tempDir } from '../../../../common/testing/temp-dir.js';
import { makeNotification, type OutboxWorld, outboxWorld, type Receiver, receiver } from './world.js';

const HOSTILE_HOST = 'web1 <b>&"\'\n</b> Bcc: x@evil';
const HOSTILE_REASON = 'value 1e9 > 90 <script>alert(1)</script> & more\r\nX-Injected: yes';

describe('NotificationDispatcher (MariaDB outbox, real HTTP receivers and commands)', () => {
  let world: OutboxWorld;
  let http: Receiver;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    world = await outboxWorld();
    http = await receiver();
    dir = await tempDir('delivery');
  });
  afterEach(async () => {
    // what a test left pending is not the next test's business
    await world.pool.query("UPDATE alert_notifications SET status = 'failed' WHERE status = 'pending'");
    http.answer = () => 200;
  });
  after(async () => {
    await http.close();
    await dir.remove();
    await world.drop();
  });

  it('posts the notification as JSON to a webhook and a Slack body to a Slack contact, hostile labels intact or escaped', async () => {
    const webhook = await world.addContact('hook', { kind: 'webhook', url: `${http.url}/hook` });
    const slack = await world.addContact('slack', { kind: 'slack', url: `${http.url}/slack`, channel: '#ops' });
    const payload = makeNotification({
      hostName: HOSTILE_HOST,
      reason: HOSTILE_REASON,
      series: { hostId: 'h<1>&', plugin: 'cpu', field: 'us"er' },
    });
    const hookRow = await world.addNotification(webhook, payload);
    const slackRow = await world.addNotification(slack, payload);
    const dispatcher = world.dispatcher();
    await dispatcher.start();
    try {
      await eventually(
        async () => (await world.notification(slackRow)).status === 'sent' && (await world.notification(hookRow)).status === 'sent',
      );
    } finally {
      await dispatcher.stop();
    }
    const hook = http.requests.filter((r) => r.path === '/hook');
    assert.equal(hook.length, 1);
    assert.equal(hook[0].headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(hook[0].body), payload, 'the webhook body is the notification, byte for byte after JSON');
    const body = JSON.parse(http.requests.filter((r) => r.path === '/slack')[0].body);
    assert.equal(body.channel, '#ops');
    assert.equal(body.attachments[0].color, '#a30200');
    assert.equal(body.attachments[0].title_link, payload.url);
    const texts = [
      body.text,
      body.attachments[0].title,
      body.attachments[0].text,
      ...body.attachments[0].fields.map((f: { value: string }) => f.value),
    ];
    for (const t of texts) assert.doesNotMatch(t, /[<>\n\r]/, `no raw markup or newline in ${JSON.stringify(t)}`);
    assert.match(body.text, /web1 &lt;b&gt;&amp;"' &lt;\/b&gt; Bcc: x@evil \(h&lt;1&gt;&amp;\) :: cpu :: us"er/);
    assert.equal(body.attachments[0].text, 'value 1e9 &gt; 90 &lt;script&gt;alert(1)&lt;/script&gt; &amp; more X-Injected: yes');
    const contact = await world.contact(webhook);
    assert.ok(contact.last_success_at instanceof Date);
    assert.equal(contact.failing_since, null);
    const row = await world.notification(hookRow);
    assert.equal(row.attempts, 1);
    assert.ok(row.sent_at instanceof Date);
    assert.equal(row.lease_until, null);
  });

  it('a slow and a failing contact do not hold up another; failures are recorded on row and contact, then given up', async () => {
    http.answer = (r) => (r.path === '/slow' ? 'hang' : r.path === '/broken' ? 503 : 200);
    const slow = await world.addContact('slow', { kind: 'webhook', url: `${http.url}/slow` });
    const broken = await world.addContact('broken', { kind: 'webhook', url: `${http.url}/broken` });
    const good = await world.addContact('good', { kind: 'webhook', url: `${http.url}/good` });
    const slowRows: number[] = [];
    for (let i = 0; i < 4; i++) slowRows.push(await world.addNotification(slow, makeNotification()));
    const brokenRow = await world.addNotification(broken, makeNotification());
    const goodRow = await world.addNotification(good, makeNotification());
    const delivery = { ...world.config.delivery, send_timeout_ms: 4000, lease_ms: 10_000 };
    const dispatcher = world.dispatcher({ config: { ...world.config, delivery } });
    await dispatcher.start();
    try {
      await eventually(async () => (await world.notification(goodRow)).status === 'sent', 10_000, 'the good contact');
      const slowNow = await Promise.all(slowRows.map((id) => world.notification(id)));
      assert.deepEqual(
        slowNow.map((r) => [r.status, r.attempts]),
        slowRows.map(() => ['pending', 0]),
        'sent while every slow send was still outstanding',
      );
      await eventually(() => http.requests.filter((r) => r.path === '/slow').length >= 2, 5000, 'the slow sends');
      assert.equal(http.requests.filter((r) => r.path === '/slow').length, 2, 'per-contact concurrency 2: two slow sends at once');
      await eventually(async () => (await world.notification(brokenRow)).status === 'failed', 15_000, 'the broken contact to be given up');
      await eventually(async () => (await world.notification(slowRows[0])).attempts >= 1, 15_000, 'a slow send to time out');
    } finally {
      await dispatcher.stop(1000);
    }
    const brokenNotification = await world.notification(brokenRow);
    assert.equal(brokenNotification.attempts, 3, 'max_attempts 3');
    assert.match(brokenNotification.last_error, /HTTP 503: refused 503/);
    assert.equal(http.requests.filter((r) => r.path === '/broken').length, 3);
    const brokenContact = await world.contact(broken);
    assert.match(brokenContact.last_error, /HTTP 503/);
    assert.ok(brokenContact.failing_since instanceof Date);
    assert.equal(brokenContact.last_success_at, null);
    const slowNotification = await world.notification(slowRows[0]);
    assert.match(slowNotification.last_error ?? '', /no answer within 4000 ms/);
    assert.match((await world.contact(slow)).last_error, /no answer within 4000 ms/);
  });

  it('a 4xx answer is not retried; a bad payload and a contact with unusable settings fail alone', async () => {
    http.answer = (r) => (r.path === '/bad-request' ? 400 : 200);
    const refusing = await world.addContact('refusing', { kind: 'webhook', url: `${http.url}/bad-request` });
    const ok = await world.addContact('ok', { kind: 'webhook', url: `${http.url}/ok` });
    const [r] = await world.pool.query<import('mysql2/promise').ResultSetHeader>(
      'INSERT INTO contacts (name, kind, settings) VALUES (\'mismatch\', \'email\', \'{"kind":"email","to":["not an address"]}\')',
    );
    const refusedRow = await world.addNotification(refusing, makeNotification());
    const badPayload = await world.addNotification(ok, { id: 'x', state: 'ON FIRE' });
    const badSettings = await world.addNotification(r.insertId, makeNotification());
    const fine = await world.addNotification(ok, makeNotification());
    const dispatcher = world.dispatcher();
    await dispatcher.start();
    try {
      await eventually(async () => {
        const statuses = await Promise.all(
          [refusedRow, badPayload, badSettings, fine].map(async (id) => (await world.notification(id)).status),
        );
        return statuses.join() === 'failed,failed,failed,sent';
      });
    } finally {
      await dispatcher.stop();
    }
    assert.equal((await world.notification(refusedRow)).attempts, 1, 'a 400 is final after one attempt');
    assert.match((await world.notification(badPayload)).last_error, /payload is not a notification/);
    assert.match((await world.notification(badSettings)).last_error, /contact mismatch \(email\) cannot be used/);
    assert.match((await world.contact(r.insertId)).last_error, /cannot be used/);
  });

  it('an active silence matching rule and host glob silences at send time; others are sent', async () => {
    const hook = await world.addContact('silenced-hook', { kind: 'webhook', url: `${http.url}/silence` });
    const now = Date.now();
    await world.pool.query(
      'INSERT INTO alert_silences (rule_key, host_glob, plugin, field, starts_at, ends_at, created_at) VALUES (?, ?, NULL, NULL, ?, ?, ?)',
      ['munin', 'db*.exam?le', new Date(now - 60_000), new Date(now + 3_600_000), new Date(now)],
    );
    await world.pool.query(
      'INSERT INTO alert_silences (rule_key, host_glob, plugin, field, starts_at, ends_at, created_at) VALUES (NULL, NULL, NULL, NULL, ?, ?, ?)',
      [new Date(now - 7_200_000), new Date(now - 3_600_000), new Date(now)],
    );
    const silenced = await world.addNotification(
      hook,
      makeNotification({ series: { hostId: 'db1.example', plugin: 'load', field: 'load' } }),
    );
    const otherRule = await world.addNotification(
      hook,
      makeNotification({ ruleKey: 'rule:7', series: { hostId: 'db1.example', plugin: 'load', field: 'load' } }),
    );
    const otherHost = await world.addNotification(
      hook,
      makeNotification({ series: { hostId: 'web1.example', plugin: 'load', field: 'load' } }),
    );
    const dispatcher = world.dispatcher();
    await dispatcher.start();
    try {
      await eventually(
        async () => (await world.notification(otherHost)).status === 'sent' && (await world.notification(otherRule)).status === 'sent',
      );
      await eventually(async () => (await world.notification(silenced)).status === 'silenced');
    } finally {
      await dispatcher.stop();
    }
    assert.equal(http.requests.filter((r) => r.path === '/silence').length, 2);
    assert.equal(dispatcher.stats().silenced, 1);
  });

  it('a restart neither forgets pending rows nor re-sends sent ones', async () => {
    const hook = await world.addContact('restart-hook', { kind: 'webhook', url: `${http.url}/restart` });
    const first = [await world.addNotification(hook, makeNotification()), await world.addNotification(hook, makeNotification())];
    const one = world.dispatcher();
    await one.start();
    await eventually(async () => (await Promise.all(first.map((id) => world.notification(id)))).every((r) => r.status === 'sent'));
    await one.stop();
    const second = [await world.addNotification(hook, makeNotification()), await world.addNotification(hook, makeNotification())];
    const two = world.dispatcher();
    await two.start();
    try {
      await eventually(async () => (await Promise.all(second.map((id) => world.notification(id)))).every((r) => r.status === 'sent'));
      await one.start(); // the first one again, beside the second: still nothing twice
      const third = await world.addNotification(hook, makeNotification());
      await eventually(async () => (await world.notification(third)).status === 'sent');
    } finally {
      await Promise.all([one.stop(), two.stop()]);
    }
    const ids = http.requests.filter((r) => r.path === '/restart').map((r) => JSON.parse(r.body).id);
    assert.equal(ids.length, 5);
    assert.equal(new Set(ids).size, 5, 'each notification once');
  });

  it('a row whose lease ran out (a crashed sender) is taken over and sent; a live lease is left alone', async () => {
    const hook = await world.addContact('lease-hook', { kind: 'webhook', url: `${http.url}/lease` });
    const expired = await world.addNotification(hook, makeNotification());
    const held = await world.addNotification(hook, makeNotification());
    await world.pool.query('UPDATE alert_notifications SET lease_until = ? WHERE id = ?', [new Date(Date.now() - 1000), expired]);
    await world.pool.query('UPDATE alert_notifications SET lease_until = ? WHERE id = ?', [new Date(Date.now() + 3_600_000), held]);
    const dispatcher = world.dispatcher();
    await dispatcher.start();
    try {
      await eventually(async () => (await world.notification(expired)).status === 'sent');
    } finally {
      await dispatcher.stop();
    }
    assert.equal((await world.notification(held)).status, 'pending');
  });

  it('a command gets the text on stdin and its arguments expanded one by one; exit status and timeout count', async () => {
    const out = join(dir.dir, 'stdin.txt');
    const args = join(dir.dir, 'args.json');
    const script = `import json,sys; open(sys.argv[1],'a').write(sys.stdin.read()); json.dump(sys.argv[2:], open(${JSON.stringify(args)},'w'))`;
    const good = await world.addContact('cmd', {
      kind: 'command',
      argv: ['/usr/bin/python3', '-c', script, out, 'Munin ${var:worst}: ${var:host}::${var:plugin}', '${var:nosuch}'],
    });
    const failing = await world.addContact('cmd-fails', { kind: 'command', argv: ['/bin/sh', '-c', 'echo no relay >&2; exit 3'] });
    const hanging = await world.addContact('cmd-hangs', { kind: 'command', argv: ['/bin/sleep', '30'] });
    const payload = makeNotification({ hostName: 'web1; rm -rf / $(reboot)', reason: HOSTILE_REASON });
    const goodRow = await world.addNotification(good, payload);
    const failingRow = await world.addNotification(failing, makeNotification());
    const hangingRow = await world.addNotification(hanging, makeNotification());
    const dispatcher = world.dispatcher();
    await dispatcher.start();
    try {
      await eventually(async () => (await world.notification(goodRow)).status === 'sent');
      await eventually(async () => (await world.notification(failingRow)).attempts >= 1);
      await eventually(async () => (await world.notification(hangingRow)).attempts >= 1, 10_000);
    } finally {
      await dispatcher.stop();
    }
    const text = readFileSync(out, 'utf8');
    assert.ok(text.startsWith('web1; rm -rf / $(reboot) (web1.example) :: cpu :: user\n\tCRITICAL: user is 93.5 (value 1e9 > 90'));
    assert.match(text, /Notification: n-\d+-\d+\n$/);
    assert.doesNotMatch(text, /\r|\nX-Injected/);
    assert.deepEqual(JSON.parse(readFileSync(args, 'utf8')), ['Munin CRITICAL: web1; rm -rf / $(reboot)::cpu', '']);
    assert.match((await world.notification(failingRow)).last_error, /\/bin\/sh exited with status 3: no relay/);
    assert.match((await world.notification(hangingRow)).last_error, /no answer within 1500 ms/);
  });

  it('a command contact text template replaces the default stdin text', async () => {
    const out = join(dir.dir, 'template.txt');
    const contact = await world.addContact('cmd-text', {
      kind: 'command',
      argv: ['/usr/bin/tee', out],
      text: '${var:host} :: ${var:graph_title}\\n\\t${var:worst}s: ${var:label} is ${var:value}',
    });
    const row = await world.addNotification(contact, makeNotification());
    const dispatcher = world.dispatcher();
    await dispatcher.start();
    try {
      await eventually(async () => (await world.notification(row)).status === 'sent');
    } finally {
      await dispatcher.stop();
    }
    assert.equal(readFileSync(out, 'utf8'), 'web1 :: cpu\n\tCRITICALs: user is 93.5\n');
  });

  it('start fails when the outbox table is missing, leaving nothing running; stop is idempotent', async () => {
    const dispatcher = world.dispatcher();
    await world.pool.query('RENAME TABLE alert_notifications TO alert_notifications_away');
    try {
      await assert.rejects(dispatcher.start(), /alert_notifications/);
    } finally {
      await world.pool.query('RENAME TABLE alert_notifications_away TO alert_notifications');
    }
    await dispatcher.start();
    await Promise.all([dispatcher.stop(), dispatcher.stop()]);
    await dispatcher.stop();
    assert.equal(dispatcher.stats().in_flight, 0);
  });
});
