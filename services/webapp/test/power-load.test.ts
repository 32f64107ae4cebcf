import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { populate } from '../src/populate.js';
import type { Host, Skeleton } from '../src/repos/index.js';
import { selectSources } from '../src/skeletons.js';
import { addStorage, addUser, createTestEnv, loginAgent, runCliInProcess, type TestEnv } from './helpers.js';

type PluginDef = { Order?: string; Infos: Record<string, Record<string, string>> };
const field = (ds: string) => ({ id: ds, label: ds });
const PLUGIN_DEFS: Record<string, PluginDef> = {
  // what the poller's SNMP PDU module publishes under the machine's host ID
  power: { Infos: { watts: field('watts') } },
  // our system module
  system_load: { Order: 'load1 load5 load15', Infos: { load1: field('load1'), load5: field('load5'), load15: field('load15') } },
  // munin's load plugin
  load: { Infos: { load: field('load') } },
  cpu: { Infos: { user: field('user'), system: field('system') } },
};

/** A storage whose hosts each have their own plugins (the shared fixture gives every host the same). */
async function startPluginStorage(plugins: Record<string, string[]>) {
  const app = express();
  const r = express.Router();
  const info = (host: string) => ({ Plugin: 'MyInfo', ID: host, Name: host.split('.')[0], Description: '' });
  const pluginInfo = (p: string) => ({ Plugin: p, Title: p, Describ: '', Vlabel: '', Base: '1000', Order: '', ...PLUGIN_DEFS[p] });
  r.get('/hosts', (_req, res) => void res.json(Object.fromEntries(Object.keys(plugins).map((h) => [h, info(h)]))));
  r.get('/hinfo', (req, res) => void res.json(info(String(req.query.host))));
  r.get('/list', (req, res) => {
    const host = String(req.query.host);
    if (!(host in plugins)) res.status(404).json({ error: `unknown host ${host}`, parameter: 'host' });
    else res.json(Object.fromEntries(plugins[host].map((p) => [p, pluginInfo(p)])));
  });
  app.use('/numeter-storage', r);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('power and load skeleton (PowerMon viewCons)', () => {
  let t: TestEnv;
  let storage: Awaited<ReturnType<typeof startPluginStorage>>;
  const plugins: Record<string, string[]> = {
    'rack1.example': ['cpu', 'power', 'system_load'],
    'old.example': ['load', 'power'],
    'both.example': ['load', 'power', 'system_load'],
    'nopower.example': ['cpu', 'load', 'system_load'],
  };
  const host = async (hostid: string) => (await t.deps.repos.hosts.byHostid(hostid))!;
  const labels = async (ids: number[]) =>
    (await t.deps.repos.sources.withPath(ids)).map((p) => `${p.host.name}/${p.plugin.name}/${p.source.name}`);
  /** The views of a host's default dashboard, by name. */
  const dashboardViews = async (h: Host) => {
    const mv = (await t.deps.repos.multiviews.byName(`${h.name} (${h.hostid})`))!;
    return Promise.all(mv.views.map(async (id) => (await t.deps.repos.views.get(id))!));
  };
  const powerView = async (hostid: string) => {
    const h = await host(hostid);
    return (await dashboardViews(h)).find((v) => v.name === `${h.name} - Power consumption and load average`);
  };

  before(async () => {
    t = await createTestEnv();
    Object.assign(process.env, t.env);
    storage = await startPluginStorage(plugins);
    await addStorage(t.deps, 'main', storage.port);
  });
  after(async () => {
    try {
      await storage.close();
    } finally {
      await t.drop();
    }
  });

  it('populate builds power on the left and load on the right for hosts with power, and only them', async () => {
    const report = await populate(t.deps);
    assert.deepEqual(report.failures, []);
    const rack1 = (await powerView('rack1.example'))!;
    assert.deepEqual(await labels(rack1.sources), [
      'rack1/power/watts',
      'rack1/system_load/load1',
      'rack1/system_load/load5',
      'rack1/system_load/load15',
    ]);
    assert.deepEqual(await labels(rack1.rightAxis), ['rack1/system_load/load1', 'rack1/system_load/load5', 'rack1/system_load/load15']);
    const rack1Host = await host('rack1.example');
    // munin's load when the host has no system_load; system_load only when it has both
    const old = (await powerView('old.example'))!;
    assert.deepEqual(await labels(old.sources), ['old/power/watts', 'old/load/load']);
    assert.deepEqual(await labels(old.rightAxis), ['old/load/load']);
    const both = (await powerView('both.example'))!;
    assert.deepEqual(await labels(both.rightAxis), ['both/system_load/load1', 'both/system_load/load5', 'both/system_load/load15']);
    assert.equal(await powerView('nopower.example'), undefined);
    const allViews = (await t.deps.repos.views.list({ page: 1, pageSize: 1000, q: 'Power consumption' })).rows;
    assert.equal(allViews.length, 3);
    // one view per plugin (cpu, power, system_load) and the power/load view
    assert.equal((await dashboardViews(rack1Host)).length, 4);
  });

  it('populate again adds no duplicate, does not rebuild a deleted view, and adds a PDU that appears later', async () => {
    const deleted = (await powerView('old.example'))!;
    await t.deps.repos.views.delete(deleted.id);
    plugins['nopower.example'] = [...plugins['nopower.example'], 'power'];
    const report = await populate(t.deps);
    assert.equal(report.viewsCreated, 1);
    assert.equal(report.multiviewsCreated, 0);
    assert.equal(await powerView('old.example'), undefined);
    const late = (await powerView('nopower.example'))!;
    assert.deepEqual(await labels(late.rightAxis), [
      'nopower/system_load/load1',
      'nopower/system_load/load5',
      'nopower/system_load/load15',
    ]);
    const views = (await t.deps.repos.views.list({ page: 1, pageSize: 1000, q: 'Power consumption' })).rows;
    assert.equal(views.length, 3);
    assert.equal((await populate(t.deps)).viewsCreated, 0);
    plugins['nopower.example'] = ['cpu', 'load', 'system_load'];
  });

  it('is available from the CLI: skeleton create_view across hosts, add with parts, list', async () => {
    const cli = async (...args: string[]) => {
      const { code, lines, message } = await runCliInProcess(...args);
      return { code, out: lines.join('\n'), err: message };
    };
    const made = await cli('skeleton', 'create_view', '-H', 'rack1,old', '-s', 'power-load');
    const m = /view (\d+) created with 6 sources \(4 on the right axis\)/.exec(made.out);
    assert.ok(m, made.out + made.err);
    const view = (await t.deps.repos.views.get(Number(m[1])))!;
    assert.equal(view.name, 'power-load - rack1, old');
    assert.deepEqual(await labels(view.rightAxis), [
      'rack1/system_load/load1',
      'rack1/system_load/load5',
      'rack1/system_load/load15',
      'old/load/load',
    ]);
    const add = await cli(
      'skeleton',
      'add',
      '-n',
      'cpu-load',
      '-p',
      '^cpu$',
      '-P',
      '[{"plugin_pattern": "^load$", "axis": "right"}]',
      '--populate',
    );
    assert.equal(add.code, 0, add.err);
    const added = (await t.deps.repos.skeletons.byName('cpu-load'))!;
    assert.deepEqual(added.parts, [{ pluginPattern: '^load$', sourcePattern: '.', axis: 'right', fallback: false }]);
    assert.equal(added.populate, true);
    const notJson = await cli('skeleton', 'add', '-n', 'x', '-p', 'x', '-P', '[{');
    assert.equal(notJson.code, 2);
    assert.match(notJson.err, /--parts: not JSON/);
    const badAxis = await cli('skeleton', 'add', '-n', 'x', '-p', 'x', '-P', '[{"plugin_pattern": "y", "axis": "top"}]');
    assert.match(badAxis.err, /parts\.0\.axis/);
    const list = await cli('skeleton', 'list');
    assert.ok(list.out.includes('^power$/^watts$ + right:^system_load$/^load(1|5|15)$ | right:^load$/^load$'), list.out);
    await t.deps.repos.skeletons.delete(added.id);
  });

  it('is available from REST like other skeletons, and REST creates and edits multi-plugin skeletons', async () => {
    await addUser(t.deps, 'root', 'root-password', { superuser: true });
    const root = await loginAgent(t.app, 'root', 'root-password');
    const listed = await root.agent.get('/rest/skeletons/?q=power').expect(200);
    assert.equal(listed.body.count, 1);
    const sk = listed.body.results[0];
    assert.deepEqual(
      { name: sk.name, plugin_pattern: sk.plugin_pattern, source_pattern: sk.source_pattern, populate: sk.populate, parts: sk.parts },
      {
        name: 'power-load',
        plugin_pattern: '^power$',
        source_pattern: '^watts$',
        populate: true,
        parts: [
          { plugin_pattern: '^system_load$', source_pattern: '^load(1|5|15)$', axis: 'right', fallback: false },
          { plugin_pattern: '^load$', source_pattern: '^load$', axis: 'right', fallback: true },
        ],
      },
    );
    const rack1 = await host('rack1.example');
    const made = await root.agent
      .post(`/rest/skeletons/${sk.id}/create_view/`)
      .set('X-CSRF-Token', root.csrf)
      .send({ hosts: [rack1.id] })
      .expect(201);
    assert.equal(made.body.sources.length, 4);
    assert.deepEqual(made.body.right_axis, made.body.sources.slice(1));

    const send = (method: 'post' | 'patch', url: string, body: object) => root.agent[method](url).set('X-CSRF-Token', root.csrf).send(body);
    // an old-style body still works and answers the new fields
    const plain = await send('post', '/rest/skeletons/', { name: 'cpu-only', plugin_pattern: '^cpu$' }).expect(201);
    assert.deepEqual([plain.body.parts, plain.body.populate], [[], false]);
    const bad = await send('post', '/rest/skeletons/', { name: 'bad', plugin_pattern: '^cpu$', parts: [{ plugin_pattern: '(' }] }).expect(
      400,
    );
    assert.equal(bad.body.field, 'parts.0.plugin_pattern');
    const axis = await send('post', '/rest/skeletons/', { name: 'bad', plugin_pattern: 'x', parts: [{ plugin_pattern: 'y', axis: 'up' }] });
    assert.equal(axis.status, 400);
    assert.equal(axis.body.field, 'parts.0.axis');
    const patched = await send('patch', `/rest/skeletons/${plain.body.id}/`, {
      parts: [{ plugin_pattern: '^system_load$', source_pattern: '^load1$', axis: 'right' }],
    }).expect(200);
    assert.deepEqual(patched.body.parts, [{ plugin_pattern: '^system_load$', source_pattern: '^load1$', axis: 'right', fallback: false }]);
    const cpuLoad = await send('post', `/rest/skeletons/${plain.body.id}/create_view/`, { hosts: [rack1.id] }).expect(201);
    assert.deepEqual(await labels(cpuLoad.body.sources), ['rack1/cpu/system', 'rack1/cpu/user', 'rack1/system_load/load1']);
    assert.deepEqual(await labels(cpuLoad.body.right_axis), ['rack1/system_load/load1']);
    // a patch without parts keeps them
    const renamed = await send('patch', `/rest/skeletons/${plain.body.id}/`, { comment: 'cpu and load' }).expect(200);
    assert.equal(renamed.body.parts.length, 1);
  });
});

describe('selectSources', () => {
  const skeleton = (parts: Skeleton['parts']): Skeleton => ({
    id: 1,
    name: 's',
    pluginPattern: '^power$',
    sourcePattern: '.',
    comment: '',
    populate: true,
    parts,
  });
  const list = (...names: string[]) => Object.fromEntries(names.map((n) => [n, PLUGIN_DEFS[n]]));
  const part = (pluginPattern: string, fallback: boolean) => ({ pluginPattern, sourcePattern: '.', axis: 'right' as const, fallback });

  it('takes the first alternative of a fallback group that matches, and starts a new group at each non-fallback part', () => {
    const s = skeleton([part('^system_load$', false), part('^load$', true), part('^cpu$', false), part('^load$', true)]);
    const pick = (l: ReturnType<typeof list>) => selectSources(s, l).picks.map((p) => p.plugin);
    assert.deepEqual(pick(list('power', 'system_load', 'load', 'cpu')), ['power', 'system_load', 'cpu']);
    assert.deepEqual(pick(list('power', 'load')), ['power', 'load', 'load']);
    assert.deepEqual(pick(list('power', 'system_load')), ['power', 'system_load']);
    assert.equal(selectSources(s, list('system_load', 'load')).mainMatched, false);
    assert.equal(selectSources(s, list('power')).mainMatched, true);
  });
});
