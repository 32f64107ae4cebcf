import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '../src/pages/assets.js';
import { createUiWorld, openBrowser, type UiWorld } from './ui-world.js';

const ROOT = repoRoot();
/** Bulk hosts added to the UI world (10 plugins × 4 sources each), and bulk views. */
const BULK_HOSTS = 2_000;
const BULK_VIEWS = 3_000;
/** Budgets of one editor page: its HTML and JSON together, and its elements once ready. */
const MAX_PAGE_BYTES = 1_000_000;
const MAX_ELEMENTS = 3_000;

/** Bytes the page loaded (document, scripts, styles, JSON) and its element count. */
async function pageWeight(page: Page): Promise<{ bytes: number; elements: number }> {
  return page.evaluate(() => {
    const entries = [
      ...performance.getEntriesByType('navigation'),
      ...performance.getEntriesByType('resource'),
    ] as PerformanceResourceTiming[];
    return { bytes: entries.reduce((sum, e) => sum + e.decodedBodySize, 0), elements: document.querySelectorAll('*').length };
  });
}

describe('webapp editors in Chromium with many hosts', () => {
  let w: UiWorld;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'services/webapp/tsconfig.client.json'], { cwd: ROOT });
    w = await createUiWorld();
    const db = w.t.deps.pool;
    // Written in SQL (MariaDB's sequence tables): 80,000 sources in seconds, not through populate.
    await db.query(
      `INSERT INTO hosts (hostid, name, group_id) SELECT CONCAT('bulk', LPAD(seq, 5, '0'), '.example'), CONCAT('bulk', LPAD(seq, 5, '0')), ?
        FROM seq_0_to_${BULK_HOSTS - 1}`,
      [w.groupA],
    );
    await db.query(
      "INSERT INTO plugins (host_id, name, comment) SELECT h.id, CONCAT('plug', s.seq), '' FROM hosts h JOIN seq_0_to_9 s WHERE h.name LIKE 'bulk%'",
    );
    await db.query(
      "INSERT INTO sources (plugin_id, name, comment) SELECT p.id, CONCAT('ds', s.seq), '' FROM plugins p JOIN seq_0_to_3 s WHERE p.name LIKE 'plug%'",
    );
    await db.query(
      'INSERT IGNORE INTO source_kinds (plugin, name) SELECT DISTINCT p.name, s.name FROM sources s JOIN plugins p ON p.id = s.plugin_id',
    );
    await db.query(`INSERT INTO views (name, comment) SELECT CONCAT('bulk view ', LPAD(seq, 5, '0')), '' FROM seq_0_to_${BULK_VIEWS - 1}`);
    ({ server, base, browser, page } = await openBrowser(w.app, pageErrors));
    await page.goto(`${base}/login`);
    await page.fill('input[name=username]', 'root');
    await page.fill('input[name=password]', 'root-password');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await w?.close();
  });

  it('view editor: lazy tree, server search, pick from both, save, and the view graphs what was picked', async () => {
    await page.goto(`${base}/views/new`);
    await page.locator('#view-form[data-ready="1"]').waitFor();
    const weight = await pageWeight(page);
    assert.ok(weight.bytes < MAX_PAGE_BYTES, `page and JSON ${weight.bytes} bytes`);
    assert.ok(weight.elements < MAX_ELEMENTS, `${weight.elements} elements`);
    // The tree shows the first hosts only, no plugin before an expand.
    assert.equal(await page.locator('[data-test=source-tree] details.pick-host').count(), 100);
    assert.equal(await page.locator('[data-test=tree-more]').isVisible(), true);
    assert.equal(await page.locator('details.pick-plugin').count(), 0);
    const first = page.locator('details.pick-host').first();
    await first.locator('summary').click();
    await first.locator('details.pick-plugin').first().waitFor();
    assert.equal(await first.locator('details.pick-plugin').count(), 10, 'one host expanded: its 10 plugins');
    assert.equal(await page.locator('details.pick-plugin').count(), 10);

    // The tree pages on: "Show more" appends the next 100 hosts, in name order.
    const treeNames = () => page.locator('details.pick-host').evaluateAll((l) => l.map((d) => (d as HTMLElement).dataset.name));
    const firstPage = await treeNames();
    await page.click('[data-test=tree-more-button]');
    await page.waitForFunction(() => document.querySelectorAll('details.pick-host').length === 200);
    const twoPages = await treeNames();
    assert.deepEqual(twoPages.slice(0, 100), firstPage);
    assert.equal(new Set(twoPages).size, 200, 'no host twice');
    assert.deepEqual(twoPages.slice(100, 102), ['bulk00100', 'bulk00101'], 'the next hosts in name order');

    // The search answers from the server in one request (sources and tree hosts), bounded, with "Show more".
    const searches: string[] = [];
    const onRequest = (r: { url(): string }) => /\/picker\//.test(r.url()) && searches.push(new URL(r.url()).pathname);
    page.on('request', onRequest);
    await page.fill('[data-test=source-search]', 'ds2');
    await page.locator('[data-test=source-results][data-query="ds2"][data-state="final"]').waitFor();
    page.off('request', onRequest);
    assert.deepEqual(searches, ['/picker/search'], 'one request per search');
    assert.equal(await page.locator('[data-test=source-result]').count(), 100);
    assert.equal(await page.locator('[data-test=source-more]').isVisible(), true);
    assert.match((await page.locator('[data-test=source-more]').textContent()) ?? '', /Showing the first 100\./);
    await page.click('[data-test=source-more-button]');
    await page.waitForFunction(() => document.querySelectorAll('[data-test=source-result]').length === 200);
    const labels200 = await page
      .locator('[data-test=source-result] input')
      .evaluateAll((l) => l.map((i) => (i as HTMLInputElement).dataset.label));
    assert.equal(new Set(labels200).size, 200, 'the next page goes on where the first stopped');
    assert.ok(labels200.every((l) => l?.endsWith(' - ds2')));

    // A keystroke narrows what is loaded at once (the same event), then the server's answer confirms it.
    await page.fill('[data-test=source-search]', 'bulk0001');
    await page.locator('[data-test=source-results][data-query="bulk0001"][data-state="final"]').waitFor();
    const atOnce = await page.evaluate(() => {
      const box = document.querySelector<HTMLInputElement>('[data-test=source-search]') as HTMLInputElement;
      box.value = 'bulk00011';
      box.dispatchEvent(new InputEvent('input', { bubbles: true, data: '1', inputType: 'insertText' }));
      const list = document.querySelector<HTMLElement>('[data-test=source-results]') as HTMLElement;
      const rows = Array.from(list.querySelectorAll<HTMLInputElement>('[data-test=source-result] input'));
      return { state: list.dataset.state, labels: rows.map((i) => i.dataset.label) };
    });
    assert.equal(atOnce.state, 'narrowed');
    assert.equal(atOnce.labels.length, 40, 'bulk00011 is whole among the 100 loaded for bulk0001 (hosts 00010 to 00012)');
    assert.ok(atOnce.labels.every((l) => l?.startsWith('bulk00011 - ')));
    await page.locator('[data-test=source-results][data-query="bulk00011"][data-state="final"]').waitFor();
    assert.deepEqual(
      await page.locator('[data-test=source-result] input').evaluateAll((l) => l.map((i) => (i as HTMLInputElement).dataset.label)),
      atOnce.labels,
      "the server's answer is what the page narrowed to",
    );

    await page.fill('[data-test=source-search]', 'web1');
    await page.locator('[data-test=source-results][data-query="web1"][data-state="final"]').waitFor();
    assert.deepEqual(
      await page.locator('[data-test=source-result] input').evaluateAll((l) => l.map((i) => (i as HTMLInputElement).dataset.label)),
      ['web1 - cpu - system', 'web1 - cpu - user', 'web1 - evil - x', 'web1 - if_eth0 - down', 'web1 - if_eth0 - up', 'web1 - load - load'],
    );
    assert.equal(await page.locator('[data-test=source-more]').isVisible(), false);
    const loadBox = '[data-test=source-result] input[data-label="web1 - load - load"]';
    await page.check(loadBox);
    // The tree follows the search: only web1 now; expand it down to a source and tick it.
    const web1 = page.locator('details.pick-host', { hasText: 'web1' });
    assert.equal(await page.locator('details.pick-host').count(), 1);
    await web1.locator('summary').click();
    const cpu = web1.locator('details.pick-plugin', { hasText: 'cpu' });
    await cpu.locator('summary').click();
    await cpu.locator('input[data-label="web1 - cpu - user"]').check();
    assert.deepEqual(await page.locator('[data-test=selected-sources] .row-label').allTextContents(), [
      'web1 - load - load',
      'web1 - cpu - user',
    ]);
    // Unticking in the results unticks it in the chosen list, and back.
    await page.uncheck(loadBox);
    assert.equal(await page.locator('[data-test=selected-sources] li').count(), 1);
    await page.check(loadBox);
    await page.fill('#view-form input[name=name]', 'scale: web1 load and cpu');
    await page.click('#view-form button[type=submit]');
    await page.waitForURL(/\/views\/\d+$/);
    const viewId = Number(/(\d+)$/.exec(page.url())?.[1]);
    const saved = await w.t.deps.repos.views.get(viewId);
    const labels = (await w.t.deps.repos.sources.withPath(saved?.sources ?? [])).map(
      (p) => `${p.host.name} - ${p.plugin.name} - ${p.source.name}`,
    );
    assert.deepEqual(labels, ['web1 - cpu - user', 'web1 - load - load']);
    await page.waitForFunction(() => document.querySelectorAll('.graph-card.ready canvas').length === 1, null, { timeout: 15_000 });
    assert.deepEqual((await page.locator('.legend td.label').allTextContents()).sort(), ['web1 - cpu - user', 'web1 - load - load']);

    // Editing: the chosen sources come back with their labels, from /picker/sources?id=.
    await page.goto(`${base}/views/${viewId}/edit`);
    await page.locator('#view-form[data-ready="1"]').waitFor();
    assert.deepEqual(await page.locator('[data-test=selected-sources] .row-label').allTextContents(), labels);
    assert.deepEqual(pageErrors, []);
  });

  it('host tree: a few bytes per host, filtered as you type', async () => {
    const res = await page.goto(`${base}/`);
    const html = (await res?.text()) ?? '';
    const hosts = BULK_HOSTS + 2;
    assert.equal(await page.locator('.hosts li').count(), hosts);
    // 10,000 hosts stay under 1 MB: about 70 bytes a host with these names.
    assert.ok(html.length / hosts < 90, `${(html.length / hosts).toFixed(1)} bytes a host`);
    await page.fill('#host-filter', 'BULK0199');
    await page.waitForFunction(() => document.querySelectorAll('.hosts li:not([hidden])').length === 10);
    assert.deepEqual(await page.locator('.hosts li:not([hidden]) a').first().textContent(), 'bulk01990');
    await page.fill('#host-filter', '');
    await page.waitForFunction((n) => document.querySelectorAll('.hosts li:not([hidden])').length === n, hosts);
  });

  it('dashboard editor: views found by a bounded search, not listed in the page', async () => {
    await page.goto(`${base}/dashboards/new`);
    await page.locator('#dashboard-form[data-ready="1"]').waitFor();
    await page.locator('[data-test=view-results][data-query=""]').waitFor();
    const weight = await pageWeight(page);
    assert.ok(weight.bytes < MAX_PAGE_BYTES, `page and JSON ${weight.bytes} bytes`);
    assert.ok(weight.elements < MAX_ELEMENTS, `${weight.elements} elements`);
    assert.equal(await page.locator('[data-test=view-result]').count(), 30);
    assert.equal(await page.locator('[data-test=view-more]').isVisible(), true);
    await page.fill('[data-test=view-search]', 'view 02999');
    await page.locator('[data-test=view-results][data-query="view 02999"]').waitFor();
    assert.deepEqual(await page.locator('[data-test=view-result]').allTextContents(), ['bulk view 02999']);
    await page.click('[data-test=view-result] button');
    assert.deepEqual(await page.locator('#dashboard-views .row-label').allTextContents(), ['bulk view 02999']);
    assert.deepEqual(pageErrors, []);
  });
});
