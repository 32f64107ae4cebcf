import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { populate } from '../src/populate.js';
import { addStorage, createTestEnv, type FixtureStorage, startFixtureStorage, type TestEnv } from './helpers.js';

const host = (id: string, group?: string) => ({
  Plugin: 'MyInfo',
  ID: id,
  Name: id.split('.')[0],
  Description: '',
  ...(group !== undefined && { Group: group }),
});

describe('populate: Munin groups become webapp groups', () => {
  let t: TestEnv;
  let storage: FixtureStorage;
  before(async () => {
    t = await createTestEnv();
    // What a central poller publishes for `[web;node-a]`, `[web;node-b]`, `[db;node-c]` and a local host.
    storage = await startFixtureStorage({
      hosts: {
        'node-a.example': host('node-a.example', 'web'),
        'node-b.example': host('node-b.example', 'web'),
        'node-c.example': host('node-c.example', 'db'),
        'local.example': host('local.example'),
        'blank.example': host('blank.example', '   '),
        'long.example': host('long.example', 'x'.repeat(81)),
        'kept.example': host('kept.example', 'db'),
      },
    });
    await addStorage(t.deps, 'main', storage.port);
  });
  after(async () => {
    try {
      await storage?.close();
    } finally {
      await t?.drop();
    }
  });

  it('puts each new host in the group of its name, creates a group once, and leaves existing hosts alone', async () => {
    const ops = await t.deps.repos.groups.create('ops');
    await t.deps.repos.hosts.upsert('kept.example', 'kept', null, ops);
    const report = await populate(t.deps);
    assert.deepEqual(report.failures, []);
    assert.equal(report.hostsCreated, 6);

    const groups = await t.deps.repos.groups.all();
    assert.deepEqual(groups.map((g) => g.name).sort(), ['db', 'ops', 'web']);
    const groupOf = async (hostid: string) => {
      const h = (await t.deps.repos.hosts.byHostid(hostid))!;
      return h.groupId === null ? null : (await t.deps.repos.groups.get(h.groupId))!.name;
    };
    assert.equal(await groupOf('node-a.example'), 'web');
    assert.equal(await groupOf('node-b.example'), 'web');
    assert.equal(await groupOf('node-c.example'), 'db');
    assert.equal(await groupOf('local.example'), null, 'no group in the info');
    assert.equal(await groupOf('blank.example'), null, 'a blank group is no group');
    assert.equal(await groupOf('long.example'), null, 'a name the webapp cannot keep is not made a group');
    assert.equal(await groupOf('kept.example'), 'ops', 'an existing host keeps the group an admin gave it');

    // The default dashboard is shared with the host's group, as for groups made by hand.
    const dashboard = (await t.deps.repos.multiviews.byName('node-a (node-a.example)'))!;
    const web = groups.find((g) => g.name === 'web')!;
    assert.deepEqual(dashboard.groups, [web.id]);

    const again = await populate(t.deps);
    assert.equal(again.hostsCreated, 0);
    assert.equal((await t.deps.repos.groups.all()).length, 3, 'no group is created twice');
  });
});
