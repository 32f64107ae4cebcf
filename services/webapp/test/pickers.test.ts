import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { PickerHost, PickerList, PickerPlugin, PickerSource, PickerView } from '../../../common/schemas/index.js';
import { loginAgent } from './helpers.js';
import { createUiWorld, type UiWorld } from './ui-world.js';

const Hosts = PickerList(PickerHost);
const Plugins = PickerList(PickerPlugin);
const Sources = PickerList(PickerSource);
const Views = PickerList(PickerView);

describe('picker endpoints and the paged /dashboards', () => {
  let w: UiWorld;
  before(async () => {
    w = await createUiWorld();
    // 60 dashboards and views: more than one page of /dashboards.
    for (let i = 0; i < 60; i++) {
      const view = await w.t.deps.repos.views.create({
        name: `bulk view ${String(i).padStart(2, '0')}`,
        comment: '',
        warning: null,
        critical: null,
        sources: [],
        rightAxis: [],
        users: [],
        groups: [w.groupA],
      });
      await w.t.deps.repos.multiviews.create({
        name: `bulk dash ${String(i).padStart(2, '0')}`,
        comment: '',
        views: [view],
        users: [],
        groups: [w.groupA],
      });
    }
  });
  after(async () => w?.close());

  it('refuses anonymous callers with a JSON 401, not a redirect', async () => {
    const res = await request(w.app).get('/picker/hosts?q=web');
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'authentication required');
  });

  it('host search: every word matches, bounded, only hosts the user may see', async () => {
    const root = (await loginAgent(w.app, 'root', 'root-password')).agent;
    const all = Hosts.parse((await root.get('/picker/hosts').expect(200)).body);
    assert.deepEqual(
      all.results.map((h) => h.name),
      ['db1', 'web1'],
    );
    const one = Hosts.parse((await root.get('/picker/hosts?limit=1').expect(200)).body);
    assert.deepEqual([one.results.length, one.truncated], [1, true]);
    const byId = Hosts.parse((await root.get('/picker/hosts?q=DB1.EXAMPLE').expect(200)).body);
    assert.deepEqual(
      byId.results.map((h) => h.id),
      [w.db1.id],
    );
    const wildcard = Hosts.parse((await root.get('/picker/hosts?q=%25').expect(200)).body);
    assert.deepEqual(wildcard.results, [], 'a % is a character, not a LIKE wildcard');
    const alice = (await loginAgent(w.app, 'alice', 'alice-password')).agent;
    const seen = Hosts.parse((await alice.get('/picker/hosts').expect(200)).body);
    assert.deepEqual(
      seen.results.map((h) => h.id),
      [w.web1.id],
      'db1 is not in her group',
    );
    const bad = await root.get('/picker/hosts?limit=100000').expect(400);
    assert.equal(bad.body.field, 'limit');
  });

  it('lazy tree: plugins of a host, sources of a plugin, 404 for what the user may not see', async () => {
    const alice = (await loginAgent(w.app, 'alice', 'alice-password')).agent;
    const plugins = Plugins.parse((await alice.get(`/picker/hosts/${w.web1.id}/plugins`).expect(200)).body);
    assert.deepEqual(
      plugins.results.map((p) => p.name),
      ['cpu', 'evil', 'if_eth0', 'load'],
    );
    await alice.get(`/picker/hosts/${w.db1.id}/plugins`).expect(404);
    const eth = plugins.results.find((p) => p.name === 'if_eth0')!;
    const sources = Sources.parse((await alice.get(`/picker/plugins/${eth.id}/sources`).expect(200)).body);
    assert.deepEqual(
      sources.results.map((s) => s.label),
      ['web1 - if_eth0 - down', 'web1 - if_eth0 - up'],
    );
    const dbLoad = (await w.t.deps.repos.plugins.forHost(w.db1.id)).find((p) => p.name === 'load')!;
    await alice.get(`/picker/plugins/${dbLoad.id}/sources`).expect(404);
    await alice.get('/picker/plugins/abc/sources').expect(404);
  });

  it('source search returns the right sources, within the permissions, and labels by id', async () => {
    const root = (await loginAgent(w.app, 'root', 'root-password')).agent;
    const load = Sources.parse((await root.get('/picker/sources?q=load').expect(200)).body);
    assert.deepEqual(
      load.results.map((s) => s.label),
      ['db1 - load - load', 'web1 - load - load'],
    );
    const both = Sources.parse((await root.get('/picker/sources?q=web1+eth0+up').expect(200)).body);
    assert.deepEqual(
      both.results.map((s) => s.label),
      ['web1 - if_eth0 - up'],
    );
    const alice = (await loginAgent(w.app, 'alice', 'alice-password')).agent;
    const hers = Sources.parse((await alice.get('/picker/sources?q=load').expect(200)).body);
    assert.deepEqual(
      hers.results.map((s) => s.label),
      ['web1 - load - load'],
    );
    const ids = load.results.map((s) => s.id).join(',');
    const labels = Sources.parse((await alice.get(`/picker/sources?id=${ids}`).expect(200)).body);
    assert.deepEqual(
      labels.results.map((s) => s.label),
      ['web1 - load - load'],
      'a source of db1 gets no label for her',
    );
    const many = await root.get('/picker/sources?q=a+b+c+d+e+f').expect(400);
    assert.equal(many.body.field, 'q');
  });

  it('view search for the dashboard editor: bounded, searched on the server, names by id within the sharing', async () => {
    const alice = (await loginAgent(w.app, 'alice', 'alice-password')).agent;
    const first = Views.parse((await alice.get('/picker/views?limit=10&q=bulk').expect(200)).body);
    assert.deepEqual([first.results.length, first.truncated], [10, true]);
    assert.equal(first.results[0].name, 'bulk view 00');
    const words = Views.parse((await alice.get('/picker/views?q=view+07+bulk').expect(200)).body);
    assert.deepEqual(
      words.results.map((v) => v.name),
      ['bulk view 07'],
    );
    const secret = await w.t.deps.repos.views.create({
      name: 'bulk view secret',
      comment: '',
      warning: null,
      critical: null,
      sources: [],
      rightAxis: [],
      users: [],
      groups: [],
    });
    const hidden = Views.parse((await alice.get('/picker/views?q=secret').expect(200)).body);
    assert.deepEqual(hidden.results, [], 'a view not shared with her is not found');
    const named = Views.parse((await alice.get(`/picker/views?id=${first.results[1].id},${secret}`).expect(200)).body);
    assert.deepEqual(
      named.results.map((v) => v.name),
      ['bulk view 01'],
    );
    const root = (await loginAgent(w.app, 'root', 'root-password')).agent;
    const all = Views.parse((await root.get(`/picker/views?id=${secret}`).expect(200)).body);
    assert.deepEqual(
      all.results.map((v) => v.name),
      ['bulk view secret'],
    );
    await w.t.deps.repos.views.delete(secret);
  });

  it('the editors hold no list of the fleet: the page is the same with one host or many', async () => {
    const root = (await loginAgent(w.app, 'root', 'root-password')).agent;
    const newView = await root.get('/views/new').expect(200);
    assert.doesNotMatch(newView.text, /web1|db1/, 'no host in the view editor page');
    assert.match(newView.text, /data-test="source-search"/);
    assert.match(newView.text, /data-test="source-results"/);
    const newDashboard = await root.get('/dashboards/new').expect(200);
    assert.doesNotMatch(newDashboard.text, /bulk view/, 'no view in the dashboard editor page');
    assert.match(newDashboard.text, /data-test="view-search"/);
    assert.match(newDashboard.text, /data-test="view-results"/);
  });

  // Alice sees the 60 bulk dashboards and the default one of web1 (shared with her group).
  it('/dashboards shows 50 of each list, pages on, and searches on the server', async () => {
    const alice = (await loginAgent(w.app, 'alice', 'alice-password')).agent;
    const first = await alice.get('/dashboards').expect(200);
    assert.equal(first.text.match(/<li><a href="\/dashboards\/\d+">/g)?.length, 50);
    assert.match(first.text, /id="dashboard-count">61</);
    assert.match(first.text, /page 1 of 2/);
    assert.doesNotMatch(first.text, /type="checkbox" name="hosts"/, 'no checkbox per host');
    const second = await alice.get('/dashboards?dpage=2').expect(200);
    assert.equal(second.text.match(/<li><a href="\/dashboards\/\d+">/g)?.length, 11, "the rest, with web1's own dashboard");
    assert.match(second.text, /bulk dash 59/);
    const none = await alice.get('/dashboards?q=zzz').expect(200);
    assert.match(none.text, /No dashboard matches\./);
    const exact = await alice.get('/dashboards?q=dash%2007').expect(200);
    assert.deepEqual(exact.text.match(/bulk dash \d+/g), ['bulk dash 07']);
    assert.match(exact.text, /value="dash 07"/);
  });
});
