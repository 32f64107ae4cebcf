import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { MAX_HOSTS_READ, searchSources } from '../src/repos/source-search.js';
import { and, EVERYTHING, inList, likePattern, type Scope } from '../src/repos/sql.js';
import { createTestEnv, type TestEnv } from './helpers.js';

/** The plain scan the search replaces: one LIKE per word over the join of every source. */
async function scan(t: TestEnv, scope: Scope, words: string[], limit: number): Promise<string[]> {
  const columns = ['h.name', 'h.hostid', 'p.name', 's.name'];
  const where = and(
    scope,
    ...words.map((w) => ({ sql: columns.map((c) => `${c} LIKE ?`).join(' OR '), params: columns.map(() => likePattern(w)) })),
  );
  const [rows] = await t.deps.pool.query<RowDataPacket[]>(
    `SELECT CONCAT(h.name, ' - ', p.name, ' - ', s.name) AS label FROM sources s JOIN plugins p ON p.id = s.plugin_id
      JOIN hosts h ON h.id = p.host_id WHERE ${where.sql} ORDER BY h.name, h.id, p.name, s.name LIMIT ?`,
    [...where.params, limit],
  );
  return rows.map((r) => r.label);
}

const PLUGINS = ['cpu', 'load', 'if_eth0', 'if_eth1', 'df', 'memory', 'postgres_locks', 'nginx_request'];
const SOURCES: Record<string, string[]> = {
  cpu: ['user', 'system', 'idle'],
  load: ['load'],
  if_eth0: ['up', 'down'],
  if_eth1: ['up', 'down'],
  df: ['_dev_sda1', '_dev_sdb1', 'root'],
  memory: ['used', 'free', 'cached'],
  postgres_locks: ['waits', 'exclusive'],
  nginx_request: ['request'],
};

describe('source search (indexed, bounded)', () => {
  let t: TestEnv;
  let groupA: number;
  const HOSTS = 240;
  before(async () => {
    t = await createTestEnv();
    groupA = await t.deps.repos.groups.create('search A');
    const groupB = await t.deps.repos.groups.create('search B');
    for (let i = 0; i < HOSTS; i++) {
      const role = ['web', 'db', 'cache'][i % 3];
      const name = `${role}${String(i).padStart(3, '0')}`;
      const host = (await t.deps.repos.hosts.upsert(`${name}.dc${i % 4}.example`, name, null, i % 2 ? groupA : groupB)).host;
      // Each host its own subset: postgres only on a few db hosts, nginx on the web ones.
      const plugins = PLUGINS.filter((p, k) =>
        p === 'postgres_locks' ? i % 60 === 1 : p === 'nginx_request' ? role === 'web' : (i + k) % 5 !== 0,
      );
      await t.deps.repos.plugins.ensure(host.id, plugins);
      const rows = await t.deps.repos.plugins.forHost(host.id);
      await t.deps.repos.sources.ensureMany(new Map(rows.map((p) => [p.id, SOURCES[p.name].filter((_, k) => (i + k) % 7 !== 3)])));
    }
  });
  after(async () => t?.drop());

  const QUERIES = [
    '',
    'web',
    'web001',
    'db1',
    'load',
    'up',
    'eth1 up',
    'web eth0 down',
    'postgres',
    'waits db',
    'dc2 memory free',
    'DC3.EXAMPLE',
    'sda1',
    '_dev',
    'e',
    'cache user idle',
    'nothing-like-this',
    'web postgres',
    '%',
    'request web0',
  ];

  it('answers what the plain scan answers, for every query, as superuser and within a group', async () => {
    for (const scope of [EVERYTHING, inList('h.group_id', [groupA])]) {
      for (const q of QUERIES) {
        const words = q.split(' ').filter(Boolean);
        for (const limit of [5, 50]) {
          const found = await searchSources(t.deps.pool, scope, words, limit);
          const expected = await scan(t, scope, words, limit + 1);
          assert.deepEqual(
            found.results.map((s) => s.label),
            expected.slice(0, limit),
            `"${q}" limit ${limit} (${scope.sql})`,
          );
          assert.equal(found.truncated, expected.length > limit, `"${q}" limit ${limit}: truncated`);
        }
      }
    }
  });

  it('reads only the hosts that can hold a match, and never more than its bound', async () => {
    const rare = await searchSources(t.deps.pool, EVERYTHING, ['postgres'], 50);
    const [[{ n }]] = await t.deps.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM plugins WHERE name = 'postgres_locks'");
    assert.ok(rare.results.length > 0);
    assert.equal(rare.hostsRead, Number(n), 'only the hosts having the plugin are read');
    const none = await searchSources(t.deps.pool, EVERYTHING, ['nothing-like-this'], 50);
    assert.equal(none.hostsRead, 0, 'no host is read when no name or kind matches');
    const oneHost = await searchSources(t.deps.pool, EVERYTHING, ['web003'], 50);
    assert.equal(oneHost.hostsRead, 1);
    const dense = await searchSources(t.deps.pool, EVERYTHING, ['e'], 50);
    assert.ok(dense.hostsRead < 25, `a dense match stops after a few hosts (${dense.hostsRead})`);
    assert.ok(MAX_HOSTS_READ < 1000);
  });

  it('knows a kind first seen after the migration (recorded with the sources)', async () => {
    const host = (await t.deps.repos.hosts.upsert('late.example', 'late', null, groupA)).host;
    const [plugin] = await t.deps.repos.plugins.ensure(host.id, ['brand_new_plugin']);
    await t.deps.repos.sources.ensure(plugin.id, ['fresh_source']);
    const found = await searchSources(t.deps.pool, EVERYTHING, ['fresh'], 50);
    assert.deepEqual(
      found.results.map((s) => s.label),
      ['late - brand_new_plugin - fresh_source'],
    );
  });
});
