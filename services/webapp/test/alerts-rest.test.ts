import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type express from 'express';
import { silentLogger } from '../../../common/logging/index.js';
import { AlertHistoryOut, AlertStateOut, ContactOut, GraphAlertStates, Page, SilenceOut } from '../../../common/schemas/index.js';
import { createApp } from '../src/app.js';
import { migrate } from '../src/db/migrations.js';
import { type AppDeps, buildDeps } from '../src/deps.js';
import type { Host } from '../src/repos/index.js';
import { seedHistory, seedState } from './alerts-world.js';
import { addUser, createTestDatabase, loginAgent } from './helpers.js';

type Agent = Awaited<ReturnType<typeof loginAgent>>;

describe('REST /rest/alerts', () => {
  let clock = new Date('2026-12-02T12:00:00.000Z');
  let deps: AppDeps;
  let app: express.Express;
  let drop: () => Promise<void>;
  let web1: Host;
  let db1: Host;
  let groupA: number;
  let root: Agent;
  let alice: Agent;
  let bob: Agent;
  const ids: Record<string, number> = {};
  const minutesAgo = (m: number) => new Date(clock.getTime() - m * 60_000);

  before(async () => {
    const db = await createTestDatabase({ NUMETER_WEBAPP_DELIVERY_USER_DESTINATIONS: 'hooks.example.org, *.chat.example:8443' });
    deps = buildDeps(db.config, { logger: silentLogger(), now: () => clock });
    await migrate(deps.pool);
    app = await createApp(deps, { mountUi: false });
    drop = async () => {
      await deps.close();
      await db.drop();
    };
    groupA = await deps.repos.groups.create('A');
    const groupB = await deps.repos.groups.create('B');
    web1 = (await deps.repos.hosts.upsert('web1.example', 'web1', null, groupA)).host;
    db1 = (await deps.repos.hosts.upsert('db1.example', 'db1', null, groupB)).host;
    await addUser(deps, 'root', 'root-password', { superuser: true });
    await addUser(deps, 'alice', 'alice-password', { groups: [groupA] });
    await addUser(deps, 'bob', 'bob-password', { groups: [groupB] });
    [root, alice, bob] = await Promise.all([
      loginAgent(app, 'root', 'root-password'),
      loginAgent(app, 'alice', 'alice-password'),
      loginAgent(app, 'bob', 'bob-password'),
    ]);
    const p = deps.pool;
    ids.webLoadWarn = await seedState(p, {
      hostid: 'web1.example',
      plugin: 'load',
      field: 'load',
      state: 'WARNING',
      since: minutesAgo(30),
      value: 9,
      reason: 'value 9 above warning 8',
    });
    ids.webDiskCrit = await seedState(p, {
      hostid: 'web1.example',
      plugin: 'df',
      field: '_root',
      state: 'CRITICAL',
      since: minutesAgo(5),
      value: 97,
      reason: 'value 97 above critical 95',
    });
    ids.webCpuOk = await seedState(p, { hostid: 'web1.example', plugin: 'load', field: 'other', state: 'OK', since: minutesAgo(60) });
    ids.dbCrit = await seedState(p, {
      hostid: 'db1.example',
      plugin: 'mysql',
      field: 'slow',
      state: 'CRITICAL',
      since: minutesAgo(50),
      value: 12,
    });
    ids.dbUnknown = await seedState(p, {
      hostid: 'db1.example',
      plugin: 'mysql',
      field: 'qps',
      state: 'UNKNOWN',
      since: minutesAgo(90),
      reason: 'no data for 10 minutes',
    });
    ids.orphanCrit = await seedState(p, {
      hostid: 'gone.example',
      plugin: 'load',
      field: 'load',
      state: 'CRITICAL',
      since: minutesAgo(200),
    });
    // an earlier change of the web1 load series, for the history
    await seedHistory(
      p,
      ids.webLoadWarn,
      { hostid: 'web1.example', plugin: 'load', field: 'load', state: 'CRITICAL', since: minutesAgo(120) },
      'OK',
      minutesAgo(120),
    );
  });
  after(async () => {
    await drop?.();
  });

  const write = (a: Agent, method: 'post' | 'put' | 'delete', url: string) => a.agent[method](url).set('X-CSRF-Token', a.csrf);

  it('problems: every non-OK state, worst then oldest first, only of hosts the user may see', async () => {
    const all = Page(AlertStateOut).parse((await root.agent.get('/rest/alerts/problems').expect(200)).body);
    assert.deepEqual(
      all.results.map((s) => s.id),
      [ids.orphanCrit, ids.dbCrit, ids.webDiskCrit, ids.webLoadWarn, ids.dbUnknown],
    );
    const mine = Page(AlertStateOut).parse((await alice.agent.get('/rest/alerts/problems').expect(200)).body);
    assert.deepEqual(
      mine.results.map((s) => [s.hostid, s.field, s.state]),
      [
        ['web1.example', '_root', 'CRITICAL'],
        ['web1.example', 'load', 'WARNING'],
      ],
    );
    assert.equal(mine.results[0].host, web1.id, 'linked to the webapp host');
    assert.equal(mine.results[0].rule_name, 'munin thresholds');
    const theirs = Page(AlertStateOut).parse((await bob.agent.get('/rest/alerts/problems').expect(200)).body);
    assert.deepEqual(
      theirs.results.map((s) => s.hostid),
      ['db1.example', 'db1.example'],
    );
    const paged = (await root.agent.get('/rest/alerts/problems?page_size=2&page=2').expect(200)).body;
    assert.equal(paged.count, 5);
    assert.deepEqual(
      paged.results.map((s: { id: number }) => s.id),
      [ids.webDiskCrit, ids.webLoadWarn],
    );
    const bad = await root.agent.get('/rest/alerts/problems?page_size=0').expect(400);
    assert.equal(bad.body.field, 'page_size');
  });

  it('states of a graph: a plugin of a visible host; a host of another group is 404', async () => {
    const states = GraphAlertStates.parse((await alice.agent.get(`/rest/alerts/states?host=${web1.id}&plugin=load`).expect(200)).body);
    assert.deepEqual(states.results.map((s) => [s.label, s.state]).sort(), [
      ['load', 'WARNING'],
      ['other', 'OK'],
    ]);
    await alice.agent.get(`/rest/alerts/states?host=${db1.id}&plugin=mysql`).expect(404);
    await alice.agent.get(`/rest/alerts/states/${ids.dbCrit}`).expect(404);
    assert.match((await alice.agent.get('/rest/alerts/states?plugin=load').expect(400)).body.error, /host and plugin, or view/);
  });

  it('states of a view: labelled as the view series, the series of hosts the user may not see left out', async () => {
    const [plugin] = await deps.repos.plugins.ensure(web1.id, ['load']);
    const [source] = await deps.repos.sources.ensure(plugin.id, ['load']);
    const [dbPlugin] = await deps.repos.plugins.ensure(db1.id, ['mysql']);
    const [dbSource] = await deps.repos.sources.ensure(dbPlugin.id, ['slow']);
    const view = await deps.repos.views.create({
      name: 'mixed',
      comment: '',
      warning: null,
      critical: null,
      sources: [source.id, dbSource.id],
      rightAxis: [],
      users: [],
      groups: [groupA],
    });
    const states = GraphAlertStates.parse((await alice.agent.get(`/rest/alerts/states?view=${view}`).expect(200)).body);
    assert.deepEqual(
      states.results.map((s) => [s.label, s.state]),
      [['web1 - load - load', 'WARNING']],
    );
    const all = GraphAlertStates.parse((await root.agent.get(`/rest/alerts/states?view=${view}`).expect(200)).body);
    assert.equal(all.results.length, 2);
    await bob.agent.get(`/rest/alerts/states?view=${view}`).expect(404);
  });

  it('history per host and per rule, newest first; another group sees none of it', async () => {
    const h = Page(AlertHistoryOut).parse((await alice.agent.get(`/rest/alerts/history?host=${web1.id}`).expect(200)).body);
    assert.equal(h.count, 4);
    assert.deepEqual(h.results.map((x) => [x.field, x.previous, x.state]).slice(-2), [
      ['other', 'OK', 'OK'],
      ['load', 'OK', 'CRITICAL'],
    ]);
    await bob.agent.get(`/rest/alerts/history?host=${web1.id}`).expect(404);
    const byRule = Page(AlertHistoryOut).parse((await bob.agent.get('/rest/alerts/history?rule=munin').expect(200)).body);
    assert.deepEqual([...new Set(byRule.results.map((x) => x.hostid))], ['db1.example']);
    assert.equal((await bob.agent.get('/rest/alerts/history?rule=bogus').expect(400)).body.field, 'rule');
  });

  it('acknowledge: who, when and why recorded; not for OK states nor for hosts of another group', async () => {
    clock = new Date('2026-12-02T12:05:00.000Z');
    const acked = AlertStateOut.parse(
      (await write(alice, 'post', `/rest/alerts/states/${ids.webLoadWarn}/ack`).send({ comment: 'looking <b>now</b>' }).expect(200)).body,
    );
    assert.equal(acked.acked_by, 'alice');
    assert.equal(acked.acked_at, '2026-12-02T12:05:00.000Z');
    assert.equal(acked.ack_comment, 'looking <b>now</b>');
    await write(bob, 'post', `/rest/alerts/states/${ids.webLoadWarn}/ack`).send({}).expect(404);
    await write(alice, 'post', `/rest/alerts/states/${ids.webCpuOk}/ack`).send({}).expect(409);
    const bad = await write(alice, 'post', `/rest/alerts/states/${ids.webDiskCrit}/ack`)
      .send({ comment: 'x'.repeat(2000) })
      .expect(400);
    assert.equal(bad.body.field, 'comment');
    await alice.agent.post(`/rest/alerts/states/${ids.webDiskCrit}/ack`).send({}).expect(403, /CSRF/);
  });

  it('rules: users write rules on what they see; pattern rules are for superusers; errors name the field', async () => {
    const rule = {
      name: 'web1 load',
      target: { kind: 'source', hostId: 'web1.example', plugin: 'load', field: 'load' },
      critical: { kind: 'above', value: 10 },
      hold: { points: 3 },
    };
    const created = (await write(alice, 'post', '/rest/alerts/rules').send(rule).expect(201)).body;
    assert.equal(created.key, `rule:${created.id}`);
    assert.equal(created.created_by, 'alice');
    assert.deepEqual(created.definition.hold, { points: 3, seconds: 0 });
    const onDb = await write(alice, 'post', '/rest/alerts/rules')
      .send({ ...rule, target: { ...rule.target, hostId: 'db1.example' } })
      .expect(400);
    assert.equal(onDb.body.field, 'target.hostId');
    const pattern = { ...rule, target: { kind: 'pattern', hostGlob: '*', pluginGlob: 'load', fieldGlob: '*' } };
    await write(alice, 'post', '/rest/alerts/rules').send(pattern).expect(403);
    const rootRule = (
      await write(root, 'post', '/rest/alerts/rules')
        .send({ ...pattern, name: 'all loads' })
        .expect(201)
    ).body;
    for (const [body, field] of [
      [{ ...rule, name: '' }, 'name'],
      [{ ...rule, critical: { kind: 'above', value: 'ten' } }, 'critical.value'],
      [{ ...rule, hold: { points: 0 } }, 'hold.points'],
      [{ ...rule, extra: 1 }, 'extra'],
      [{ ...rule, target: { kind: 'source', hostId: 'a/../b', plugin: 'load', field: 'load' } }, 'target.hostId'],
    ] as const) {
      const res = await write(alice, 'post', '/rest/alerts/rules').send(body).expect(400);
      assert.equal(res.body.field, field, JSON.stringify(res.body));
    }
    assert.match(
      (
        await write(alice, 'post', '/rest/alerts/rules')
          .send({ ...rule, critical: null })
          .expect(400)
      ).body.error,
      /warning or a critical/,
    );
    const aliceList = (await alice.agent.get('/rest/alerts/rules').expect(200)).body;
    assert.deepEqual(
      aliceList.results.map((r: { name: string }) => r.name),
      ['web1 load'],
    );
    assert.equal((await bob.agent.get('/rest/alerts/rules').expect(200)).body.count, 0);
    assert.equal((await root.agent.get('/rest/alerts/rules').expect(200)).body.count, 2);
    await bob.agent.get(`/rest/alerts/rules/${created.id}`).expect(404);
    await write(bob, 'put', `/rest/alerts/rules/${created.id}`).send(rule).expect(404);
    await write(alice, 'put', `/rest/alerts/rules/${rootRule.id}`).send(rule).expect(404);
    const updated = (
      await write(alice, 'put', `/rest/alerts/rules/${created.id}`)
        .send({ ...rule, name: 'renamed', enabled: false })
        .expect(200)
    ).body;
    assert.equal(updated.name, 'renamed');
    assert.equal(updated.enabled, false);
    await write(bob, 'delete', `/rest/alerts/rules/${created.id}`).expect(404);
    await write(alice, 'delete', `/rest/alerts/rules/${created.id}`).expect(204);
    await alice.agent.get(`/rest/alerts/rules/${created.id}`).expect(404);
  });

  it('contacts: own contacts for users, groups and commands for superusers, the failing status shown', async () => {
    const mine = ContactOut.parse(
      (
        await write(alice, 'post', '/rest/alerts/contacts')
          .send({ name: 'alice mail', settings: { kind: 'email', to: ['alice@example.org'] } })
          .expect(201)
      ).body,
    );
    assert.equal(mine.user, (await deps.repos.users.byUsername('alice'))?.id);
    assert.equal(mine.failing, false);
    const bad = await write(alice, 'post', '/rest/alerts/contacts')
      .send({ name: 'x', settings: { kind: 'email', to: ['not an address'] } })
      .expect(400);
    assert.equal(bad.body.field, 'settings.to.0');
    const noUrl = await write(alice, 'post', '/rest/alerts/contacts')
      .send({ name: 'x', settings: { kind: 'webhook' } })
      .expect(400);
    assert.equal(noUrl.body.field, 'settings.url');
    await write(alice, 'post', '/rest/alerts/contacts')
      .send({ name: 'x', settings: { kind: 'command', argv: ['/bin/sh'] } })
      .expect(403);
    await write(alice, 'post', '/rest/alerts/contacts')
      .send({ name: 'x', group: groupA, settings: { kind: 'webhook', url: 'http://h/' } })
      .expect(403);
    const group = ContactOut.parse(
      (
        await write(root, 'post', '/rest/alerts/contacts')
          .send({ name: 'ops A', group: groupA, min_state: 'CRITICAL', settings: { kind: 'slack', url: 'http://chat.example/hook' } })
          .expect(201)
      ).body,
    );
    await write(root, 'post', '/rest/alerts/contacts')
      .send({ name: 'ops A', settings: { kind: 'webhook', url: 'http://h/' } })
      .expect(409);
    await deps.pool.query('UPDATE contacts SET last_error = ?, last_error_at = ?, failing_since = ? WHERE id = ?', [
      'connect ECONNREFUSED',
      clock,
      minutesAgo(10),
      group.id,
    ]);
    const seen = Page(ContactOut).parse((await alice.agent.get('/rest/alerts/contacts').expect(200)).body);
    assert.deepEqual(
      seen.results.map((c) => [c.name, c.failing, c.last_error]),
      [
        ['alice mail', false, null],
        ['ops A', true, 'the receiver could not be reached or refused the notification'],
      ],
    );
    const rootSees = ContactOut.parse((await root.agent.get(`/rest/alerts/contacts/${group.id}`).expect(200)).body);
    assert.equal(rootSees.last_error, 'connect ECONNREFUSED', 'superusers read the whole error');
    await write(alice, 'put', `/rest/alerts/contacts/${group.id}`)
      .send({ name: 'mine now', settings: { kind: 'webhook', url: 'http://h/' } })
      .expect(403);
    assert.equal((await bob.agent.get('/rest/alerts/contacts').expect(200)).body.count, 0);
    await bob.agent.get(`/rest/alerts/contacts/${mine.id}`).expect(404);
    const fixed = ContactOut.parse(
      (
        await write(root, 'put', `/rest/alerts/contacts/${group.id}`)
          .send({ name: 'ops A', group: groupA, settings: { kind: 'slack', url: 'http://chat.example/new' } })
          .expect(200)
      ).body,
    );
    assert.equal(fixed.failing, false, 'new settings clear the failing status');
    await write(alice, 'delete', `/rest/alerts/contacts/${mine.id}`).expect(204);
  });

  it('SSRF: users point HTTP contacts only at [delivery] user_destinations, and read no receiver text', async () => {
    const post = (settings: object, name = `c${Math.random()}`) => write(alice, 'post', '/rest/alerts/contacts').send({ name, settings });
    for (const url of [
      'http://127.0.0.1:8080/internal',
      'http://localhost/',
      'http://[::1]/',
      'http://hooks.example.org.evil.example/',
      'http://hooks.example.org:6379/',
      'http://x.chat.example/',
      'http://user:pw@hooks.example.org/',
    ]) {
      const refused = await post({ kind: 'webhook', url }).expect(403);
      assert.match(refused.body.error, /^settings\.url: /, url);
    }
    await post({ kind: 'alertmanager', url: 'http://10.0.0.5:9093' }).expect(403);
    await post({ kind: 'slack', url: 'https://169.254.169.254/latest/meta-data' }).expect(403);
    const ok = ContactOut.parse((await post({ kind: 'webhook', url: 'https://hooks.example.org/numeter' }, 'alice hook').expect(201)).body);
    await post({ kind: 'slack', url: 'https://team.chat.example:8443/hooks/x' }).expect(201);
    // An allowed contact cannot be moved somewhere else by an update either.
    await write(alice, 'put', `/rest/alerts/contacts/${ok.id}`)
      .send({ name: 'alice hook', settings: { kind: 'webhook', url: 'http://127.0.0.1:3306/' } })
      .expect(403);
    await deps.pool.query('UPDATE contacts SET last_error = ?, failing_since = ? WHERE id = ?', [
      'HTTP 500: <html>internal admin panel: secret=hunter2</html>',
      clock,
      ok.id,
    ]);
    const mine = ContactOut.parse((await alice.agent.get(`/rest/alerts/contacts/${ok.id}`).expect(200)).body);
    assert.equal(mine.last_error, 'the receiver answered HTTP 500');
    const rootSees = ContactOut.parse((await root.agent.get(`/rest/alerts/contacts/${ok.id}`).expect(200)).body);
    assert.match(rootSees.last_error ?? '', /hunter2/);
    // Superusers are not limited by the list.
    await write(root, 'post', '/rest/alerts/contacts')
      .send({ name: 'root internal', settings: { kind: 'webhook', url: 'http://127.0.0.1:9/' } })
      .expect(201);
  });

  it('silences: a time window on one visible host, who and when recorded, shown on problems, expired early', async () => {
    const body = { host_glob: 'web1.example', plugin: 'df', ends_at: '2026-12-02T14:00:00Z', comment: 'disk swap' };
    const s = SilenceOut.parse((await write(alice, 'post', '/rest/alerts/silences').send(body).expect(201)).body);
    assert.equal(s.created_by, 'alice');
    assert.equal(s.created_at, clock.toISOString());
    assert.equal(s.starts_at, clock.toISOString());
    assert.equal(s.active, true);
    assert.equal(
      (
        await write(alice, 'post', '/rest/alerts/silences')
          .send({ ...body, host_glob: 'web*' })
          .expect(400)
      ).body.field,
      'host_glob',
    );
    assert.equal(
      (
        await write(alice, 'post', '/rest/alerts/silences')
          .send({ ...body, host_glob: 'db1.example' })
          .expect(400)
      ).body.field,
      'host_glob',
    );
    assert.equal(
      (
        await write(alice, 'post', '/rest/alerts/silences')
          .send({ ...body, ends_at: '2026-12-01T00:00:00Z' })
          .expect(400)
      ).body.field,
      'ends_at',
    );
    assert.equal(
      (
        await write(alice, 'post', '/rest/alerts/silences')
          .send({ ...body, ends_at: 'soon' })
          .expect(400)
      ).body.field,
      'ends_at',
    );
    assert.equal(
      (
        await write(root, 'post', '/rest/alerts/silences')
          .send({ host_glob: 'db{1,2.example', field: 'qps', ends_at: '2026-12-03T00:00:00Z' })
          .expect(400)
      ).body.field,
      'host_glob',
      "a superuser's pattern must be a glob of the rules' language",
    );
    const glob = SilenceOut.parse(
      (
        await write(root, 'post', '/rest/alerts/silences')
          .send({ host_glob: 'db?.exam*', field: 'qps', ends_at: '2026-12-03T00:00:00Z' })
          .expect(201)
      ).body,
    );
    const problems = Page(AlertStateOut).parse((await root.agent.get('/rest/alerts/problems').expect(200)).body);
    const silenced = Object.fromEntries(problems.results.map((p) => [p.id, p.silenced_by]));
    assert.deepEqual(silenced[ids.webDiskCrit], [s.id]);
    assert.deepEqual(silenced[ids.dbUnknown], [glob.id]);
    assert.deepEqual(silenced[ids.webLoadWarn], []);
    assert.equal((await bob.agent.get('/rest/alerts/silences').expect(200)).body.count, 0);
    await write(bob, 'delete', `/rest/alerts/silences/${s.id}`).expect(404);
    clock = new Date('2026-12-02T12:10:00.000Z');
    await write(alice, 'delete', `/rest/alerts/silences/${s.id}`).expect(204);
    assert.equal((await alice.agent.get('/rest/alerts/silences').expect(200)).body.count, 0);
    const all = Page(SilenceOut).parse((await alice.agent.get('/rest/alerts/silences?status=all').expect(200)).body);
    assert.deepEqual(
      all.results.map((x) => [x.id, x.active, x.ends_at]),
      [[s.id, false, '2026-12-02T12:10:00.000Z']],
    );
  });

  it('subscriptions: a user subscribes to hosts they may see', async () => {
    await write(alice, 'put', `/rest/alerts/subscriptions/${web1.id}`).expect(204);
    await write(alice, 'put', `/rest/alerts/subscriptions/${web1.id}`).expect(204);
    await write(alice, 'put', `/rest/alerts/subscriptions/${db1.id}`).expect(404);
    assert.deepEqual((await alice.agent.get('/rest/alerts/subscriptions').expect(200)).body.results, [
      { host: web1.id, host_name: 'web1', hostid: 'web1.example' },
    ]);
    assert.deepEqual((await bob.agent.get('/rest/alerts/subscriptions').expect(200)).body.results, []);
    await write(alice, 'delete', `/rest/alerts/subscriptions/${web1.id}`).expect(204);
    await write(alice, 'delete', `/rest/alerts/subscriptions/${web1.id}`).expect(404);
  });
});
