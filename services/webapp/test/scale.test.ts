/**
 * Issue 16 at 1,000 hosts (10 plugins x 4 sources: 40,000 series), with the storage's DEFAULT
 * limits (rate, points) and the webapp calling it anonymously: populate completes, the pages
 * answer under their size budget in Chromium, and the view editor's search finds the right
 * sources. (A render over every host still delays a concurrent /health by ~400 ms: bench/scale
 * measures it; its test comes with the fix.) The world: a real storage child, every info through the real bus, the files written directly (scale-world.ts).
 * Figures at 1,000 and 10,000 hosts: `npm run bench scale` (docs/performance.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Express } from 'express';
import type { Page } from 'playwright-core';
import { createApp } from '../src/app.js';
import { populate } from '../src/populate.js';
import { addStorage, addUser, createTestEnv, loginAgent, type TestEnv } from './helpers.js';
import { hostIdOf, hostNameOf, PLUGINS, type ScaleWorld, SOURCES, startScaleWorld } from './scale-world.js';
import { openBrowser, type UiBrowser } from './ui-world.js';

const HOSTS = 1000;
const PAGE_BUDGET_BYTES = 1024 * 1024;
/** Generous: a loaded 2-CPU CI machine; the bench measures the real figure. */
const PAGE_BUDGET_MS = 20_000;

/** The document's and its JSON requests' decoded bytes, once the page's graphs are loaded. */
const PAGE_BYTES = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  let bytes = nav.decodedBodySize;
  for (const r of performance.getEntriesByType('resource'))
    if (r.initiatorType === 'fetch' || r.initiatorType === 'xmlhttprequest') bytes += r.decodedBodySize;
  return bytes;
})()`;

describe(`a ${HOSTS}-host installation with the storage's default limits`, () => {
  let world: ScaleWorld;
  let t: TestEnv;
  /** The app with its pages and /picker (createTestEnv's has only the REST API). */
  let app: Express;
  before(async () => {
    world = await startScaleWorld();
    t = await createTestEnv({ NUMETER_WEBAPP_STORAGE_TIMEOUT: '30' });
    app = await createApp(t.deps);
    await world.addHosts(HOSTS);
    await addStorage(t.deps, 'scale', world.apiPort);
    await addUser(t.deps, 'root', 'root-password', { superuser: true });
  });
  after(async () => {
    try {
      await world?.close();
    } finally {
      await t?.drop();
    }
  });

  it('populates every host, then finds nothing new', async () => {
    const report = await populate(t.deps);
    assert.deepEqual(report.failures, []);
    assert.deepEqual(
      [report.hostsCreated, report.pluginsCreated, report.sourcesCreated, report.multiviewsCreated],
      [HOSTS, HOSTS * PLUGINS, HOSTS * PLUGINS * SOURCES, HOSTS],
    );
    const dashboard = (await t.deps.repos.multiviews.byName(`${hostNameOf(321)} (${hostIdOf(321)})`))!;
    assert.equal(dashboard.views.length, PLUGINS);
    const paths = await t.deps.repos.sources.withPath((await t.deps.repos.views.get(dashboard.views[0]))!.sources);
    assert.deepEqual(
      paths.map((s) => `${s.host.hostid}/${s.plugin.name}/${s.source.name}`),
      ['d0', 'd1', 'd2', 'd3'].map((ds) => `${hostIdOf(321)}/p0/${ds}`),
    );
    const again = await populate(t.deps);
    assert.deepEqual(again.failures, []);
    assert.equal(again.hostsUnchanged, HOSTS);
    assert.equal(again.viewsCreated + again.sourcesCreated + again.multiviewsCreated, 0);
  });

  it("the view editor's search returns the sources of the host typed, and only them", async () => {
    const { agent } = await loginAgent(app, 'root', 'root-password');
    const found = await agent.get(`/picker/sources?q=${hostNameOf(321)}&limit=200`).expect(200);
    assert.equal(found.body.truncated, false);
    const labels: string[] = found.body.results.map((s: { label: string }) => s.label);
    assert.equal(labels.length, PLUGINS * SOURCES);
    assert.ok(
      labels.every((l) => l.startsWith(`${hostNameOf(321)} - `)),
      labels[0],
    );
    const narrowed = await agent.get(`/picker/sources?q=${hostNameOf(321)}+p7&limit=200`).expect(200);
    assert.deepEqual(
      narrowed.body.results.map((s: { label: string }) => s.label),
      ['d0', 'd1', 'd2', 'd3'].map((ds) => `${hostNameOf(321)} - p7 - ${ds}`),
    );
  });

  describe('pages in Chromium', () => {
    const pageErrors: string[] = [];
    let ui: UiBrowser;
    let page: Page;
    before(async () => {
      ui = await openBrowser(app, pageErrors);
      page = ui.page;
      await page.goto(`${ui.base}/login`);
      await page.fill('input[name=username]', 'root');
      await page.fill('input[name=password]', 'root-password');
      await Promise.all([page.waitForURL(`${ui.base}/`, { timeout: PAGE_BUDGET_MS }), page.click('button[type=submit]')]);
    });
    after(async () => {
      await ui?.browser.close();
      ui?.server.close();
    });

    it('/, /dashboards and a host page each answer under 1 MB (document and JSON), their graphs drawn', async () => {
      const host = (await t.deps.repos.hosts.byHostid(hostIdOf(321)))!;
      for (const path of ['/', '/dashboards', `/hosts/${host.id}`]) {
        await page.goto(`${ui.base}${path}`, { timeout: PAGE_BUDGET_MS });
        if (path.startsWith('/hosts/'))
          await page.waitForFunction(() => Number(document.body.dataset.loaded) >= 1, null, { timeout: PAGE_BUDGET_MS });
        const bytes = (await page.evaluate(PAGE_BYTES)) as number;
        assert.ok(bytes < PAGE_BUDGET_BYTES, `${path}: ${bytes} bytes`);
      }
      assert.equal(await page.locator('.graph-card').count(), PLUGINS, 'one graph per plugin on the host page');
      assert.deepEqual(pageErrors, []);
    });
  });
});
