import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type express from 'express';
import type supertest from 'supertest';
import { PickerHost, PickerPage, PickerSearch, PickerSource } from '../../../common/schemas/index.js';
import { createApp } from '../src/app.js';
import { MAX_HOSTS_READ } from '../src/repos/source-search.js';
import { addUser, createTestEnv, loginAgent, type TestEnv } from './helpers.js';

const Hosts = PickerPage(PickerHost);
const Sources = PickerPage(PickerSource);
/** More hosts than one search reads (MAX_HOSTS_READ), so the bound and its cursor are reached. */
const HOSTS = MAX_HOSTS_READ + 100;
/** The only host with a `ds9`: past the first MAX_HOSTS_READ hosts in name order. */
const LATE_HOST = MAX_HOSTS_READ + 50;
const hostName = (i: number) => `bulk${String(i).padStart(4, '0')}`;

/** Follows `next` from the first page to the last; every page's size is checked against `limit`. */
async function allPages<T>(
  agent: supertest.Agent,
  url: string,
  limit: number,
  parse: (body: unknown) => { results: T[]; next: string | null },
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let next: string | null = '';
  let pages = 0;
  while (next !== null) {
    const page = parse((await agent.get(`${url}&limit=${limit}${next ? `&after=${next}` : ''}`).expect(200)).body);
    assert.ok(page.results.length <= limit);
    items.push(...page.results);
    next = page.next;
    pages++;
    assert.ok(pages < 1000, 'paging must end');
  }
  return { items, pages };
}

describe('picker paging: hosts and sources past the first page and past the search bound', () => {
  let t: TestEnv;
  let app: express.Express;
  let root: supertest.Agent;

  before(async () => {
    t = await createTestEnv();
    const db = t.deps.pool;
    await db.query(
      `INSERT INTO hosts (hostid, name) SELECT CONCAT('h', LPAD(seq, 4, '0'), '.example'), CONCAT('bulk', LPAD(seq, 4, '0')) FROM seq_0_to_${HOSTS - 1}`,
    );
    await db.query("INSERT INTO plugins (host_id, name, comment) SELECT h.id, CONCAT('plug', s.seq), '' FROM hosts h JOIN seq_0_to_1 s");
    await db.query("INSERT INTO sources (plugin_id, name, comment) SELECT p.id, CONCAT('ds', s.seq), '' FROM plugins p JOIN seq_0_to_2 s");
    const [[late]] = await db.query<import('mysql2').RowDataPacket[]>(
      "SELECT p.id FROM plugins p JOIN hosts h ON h.id = p.host_id WHERE h.name = ? AND p.name = 'plug1'",
      [hostName(LATE_HOST)],
    );
    await db.query("INSERT INTO sources (plugin_id, name, comment) VALUES (?, 'ds9', '')", [late.id]);
    await db.query(
      'INSERT IGNORE INTO source_kinds (plugin, name) SELECT DISTINCT p.name, s.name FROM sources s JOIN plugins p ON p.id = s.plugin_id',
    );
    await addUser(t.deps, 'root', 'root-password', { superuser: true });
    app = await createApp(t.deps);
    root = (await loginAgent(app, 'root', 'root-password')).agent;
  });
  after(async () => t?.drop());

  it('hosts: `next` pages through every host once, in name order', async () => {
    const { items, pages } = await allPages(root, '/picker/hosts?q=bulk', 100, (b) => Hosts.parse(b));
    assert.equal(pages, Math.ceil(HOSTS / 100));
    assert.deepEqual(
      items.map((h) => h.name),
      Array.from({ length: HOSTS }, (_, i) => hostName(i)),
    );
  });

  it('sources: pages end inside a host and go on with its next source, none twice, none missed', async () => {
    // 7 a page: pages end mid-plugin and mid-host (2 plugins x 3 sources a host).
    const { items } = await allPages(root, '/picker/sources?q=bulk001', 7, (b) => Sources.parse(b));
    const expected = [];
    for (let i = 10; i < 20; i++)
      for (const p of ['plug0', 'plug1']) for (const d of ['ds0', 'ds1', 'ds2']) expected.push(`${hostName(i)} - ${p} - ${d}`);
    assert.deepEqual(
      items.map((s) => s.label),
      expected,
    );
  });

  it('sources: a search cut by its host bound says so and its cursor reaches the match beyond', async () => {
    const first = Sources.parse((await root.get('/picker/sources?q=bulk+ds9').expect(200)).body);
    assert.deepEqual(first.results, [], `the first ${MAX_HOSTS_READ} hosts hold no ds9`);
    assert.equal(first.truncated, true, 'the page must say the search was cut');
    assert.ok(first.next);
    const second = Sources.parse((await root.get(`/picker/sources?q=bulk+ds9&after=${first.next}`).expect(200)).body);
    assert.deepEqual(
      second.results.map((s) => s.label),
      [`${hostName(LATE_HOST)} - plug1 - ds9`],
    );
    assert.deepEqual([second.truncated, second.next], [false, null]);
  });

  it('search: sources and the tree hosts in one answer; a forged cursor is a 400 naming `after`', async () => {
    const both = PickerSearch.parse((await root.get('/picker/search?q=bulk0599&sources=4&hosts=5').expect(200)).body);
    assert.deepEqual(
      both.hosts.results.map((h) => h.name),
      ['bulk0599'],
    );
    assert.equal(both.sources.results.length, 4);
    assert.equal(both.sources.truncated, true);
    const bad = await root.get('/picker/hosts?after=not-a-cursor').expect(400);
    assert.equal(bad.body.field, 'after');
  });
});
