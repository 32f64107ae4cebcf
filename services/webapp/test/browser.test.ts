import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '../src/pages/assets.js';
import { loginAgent } from './helpers.js';
import { createUiWorld, EVIL_LABEL, EVIL_TITLE, openBrowser, type UiWorld } from './ui-world.js';

const ROOT = repoRoot();
const ARTIFACTS = join(ROOT, 'test-artifacts');

describe('webapp in Chromium', () => {
  let w: UiWorld;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let skeletonId: number;
  const pageErrors: string[] = [];

  before(async () => {
    // The browser client is compiled like `npm run build` does.
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'services/webapp/tsconfig.client.json'], { cwd: ROOT });
    mkdirSync(ARTIFACTS, { recursive: true });
    w = await createUiWorld();
    skeletonId = await w.t.deps.repos.skeletons.create({
      name: 'ui test: load',
      pluginPattern: '^load$',
      sourcePattern: '.',
      comment: '',
      parts: [],
    });
    ({ server, base, browser, page } = await openBrowser(w.app, pageErrors));
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await w?.close();
  });

  it('logs in and lists hosts by group', async () => {
    await page.goto(`${base}/hosts/${w.web1.id}`);
    assert.match(page.url(), /\/login\?next=/);
    await page.fill('input[name=username]', 'root');
    await page.fill('input[name=password]', 'root-password');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/hosts/${w.web1.id}`);
    await page.goto(`${base}/`);
    assert.deepEqual(await page.locator('.group h2').allTextContents(), ['A', 'B']);
    await page.screenshot({ path: join(ARTIFACTS, 'webapp-hosts.png') });
  });

  it('host page: every plugin graphed, hostile labels shown as text, legend stats', async () => {
    await page.goto(`${base}/hosts/${w.web1.id}`);
    await page.waitForFunction(() => document.querySelectorAll('.graph-card.ready canvas').length === 4, null, { timeout: 15_000 });
    const evil = page.locator('.graph-card[data-plugin=evil]');
    assert.equal(await evil.locator('h3').textContent(), EVIL_TITLE);
    assert.equal(await evil.locator('.legend td.label').first().textContent(), EVIL_LABEL);
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no injected or inline script');
    assert.equal(await page.locator('img').count(), 0, 'no injected image');
    const traffic = page.locator('.graph-card[data-plugin=if_eth0] .legend tbody tr');
    assert.equal(await traffic.count(), 2);
    const avg = await traffic.nth(1).locator('td.num').nth(1).textContent();
    assert.match(avg ?? '', /^\d/);
    assert.deepEqual(pageErrors, []);
    await page.screenshot({ path: join(ARTIFACTS, 'webapp-host.png'), fullPage: true });
  });

  it('changes resolution, zooms by drag on one graph (all follow), hover fills the now column', async () => {
    const loaded = Number(await page.evaluate(() => document.body.dataset.loaded));
    await page.click('.pills button[data-res=Hourly]');
    await page
      .waitForFunction((n) => Number(document.body.dataset.loaded) > n, loaded, { timeout: 10_000 })
      .catch((e) => {
        throw new Error(`reload after Hourly: ${pageErrors.join('; ')}`, { cause: e });
      });
    assert.match(page.url(), /res=Hourly/);
    assert.match((await page.locator('.graph-card[data-plugin=load] .export-png').getAttribute('href')) ?? '', /res=Hourly/);
    const over = page.locator('.graph-card[data-plugin=load] .u-over');
    await over.evaluate((e) => e.scrollIntoView({ block: 'center' }));
    const box = (await over.boundingBox())!;
    const span = (plugin: string) =>
      page.evaluate((p) => {
        const card = document.querySelector(`.graph-card[data-plugin=${p}]`) as HTMLElement;
        return Number(card.dataset.xmax) - Number(card.dataset.xmin);
      }, plugin);
    const before = await span('cpu');
    assert.ok(before > 3000 && before < 4000, `hourly span ${before}`);
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction((b) => {
      const card = document.querySelector('.graph-card[data-plugin=cpu]') as HTMLElement;
      return Number(card.dataset.xmax) - Number(card.dataset.xmin) < b * 0.5;
    }, before);
    const zoomed = await span('load');
    assert.ok(zoomed > before * 0.2 && zoomed < before * 0.4, `zoomed span ${zoomed} of ${before}`);
    assert.equal(await span('if_eth0'), zoomed, 'every graph follows the zoom');
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    const now = await page.locator('.graph-card[data-plugin=load] .legend td.now').first().textContent();
    assert.match(now ?? '', /^\d/);
    assert.deepEqual(pageErrors, []);
  });

  it('custom range: from/until fetch that span for every graph', async () => {
    const loaded = Number(await page.evaluate(() => document.body.dataset.loaded));
    const local = (msAgo: number) => {
      const d = new Date(Date.now() - msAgo);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    };
    await page.fill('#range-form input[name=from]', local(3 * 3600_000));
    await page.fill('#range-form input[name=until]', local(3600_000));
    await page.click('#range-form button[type=submit]');
    await page.waitForFunction((n) => Number(document.body.dataset.loaded) > n, loaded);
    const spans = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('.graph-card')).map((c) => Number(c.dataset.xmax) - Number(c.dataset.xmin)),
    );
    assert.equal(spans.length, 4);
    for (const span of spans) assert.ok(span > 6600 && span <= 7200, `span ${span}`);
    assert.match((await page.locator('.graph-card[data-plugin=load] .export-png').getAttribute('href')) ?? '', /from=\d+&until=\d+/);
    assert.deepEqual(pageErrors, []);
  });

  it('builds a dashboard from a skeleton for two hosts and exports its PNG', async () => {
    await page.goto(`${base}/dashboards`);
    await page.selectOption('select[name=skeleton]', String(skeletonId));
    // The host picker: the server searches as one types, keystrokes debounced.
    for (const [typed, host] of [
      ['web', w.web1],
      ['db1', w.db1],
    ] as const) {
      await page.fill('#host-search', typed);
      await page.waitForFunction((t) => {
        const names = Array.from(document.querySelectorAll('#host-results .pick')).map((b) => b.textContent ?? '');
        return names.length > 0 && names.every((n) => n.includes(t));
      }, typed);
      await page.click(`#host-results .pick[data-id="${host.id}"]`);
    }
    assert.deepEqual(await page.locator('#chosen-hosts li').evaluateAll((l) => l.map((li) => Number((li as HTMLElement).dataset.id))), [
      w.web1.id,
      w.db1.id,
    ]);
    await page.fill('input[name=name]', 'Loads <b>&</b>');
    await page.click('#skeleton-form button[type=submit]');
    await page.waitForURL(/\/dashboards\/\d+$/);
    await page.waitForFunction(() => document.querySelectorAll('.graph-card.ready canvas').length === 1, null, { timeout: 15_000 });
    assert.equal(await page.locator('h1').textContent(), 'Loads <b>&</b>');
    assert.equal(await page.locator('.legend tbody tr').count(), 2, 'one series per host');
    await page.screenshot({ path: join(ARTIFACTS, 'webapp-dashboard.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('.graph-card.ready canvas').length === 1);
    await page.screenshot({ path: join(ARTIFACTS, 'webapp-dashboard-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    const href = (await page.locator('.export-png').getAttribute('href'))!;
    const png = await page.evaluate(async (url) => {
      const res = await fetch(url);
      return {
        status: res.status,
        type: res.headers.get('content-type'),
        bytes: Array.from(new Uint8Array(await res.arrayBuffer()).slice(0, 8)),
      };
    }, href);
    assert.equal(png.status, 200);
    assert.equal(png.type, 'image/png');
    assert.deepEqual(png.bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.deepEqual(pageErrors, []);
  });

  it('admin page: lists users, edits a dashboard to share it with a group', async () => {
    await page.goto(`${base}/admin#users`);
    await page
      .waitForFunction(() => document.querySelectorAll('#admin-table tbody tr').length >= 1, null, { timeout: 5000 })
      .catch(async (e) => {
        throw new Error(`admin table empty: ${await page.locator('#admin-status').textContent()}`, { cause: e });
      });
    const users = await page.locator('#admin-table tbody tr td:nth-child(2)').allTextContents();
    assert.ok(users.includes('alice'), users.join(','));
    const alice = await loginAgent(w.app, 'alice', 'alice-password');
    const names = async () => (await alice.agent.get('/rest/multiviews')).body.results.map((m: { name: string }) => m.name) as string[];
    assert.ok(!(await names()).includes('Loads <b>&</b>'), 'not shared yet');
    // Share the dashboard built above with alice's group: Edit, change the JSON, save (PATCH).
    await page.goto(`${base}/admin#multiviews`);
    await page.waitForFunction(() => document.querySelectorAll('#admin-table tbody tr').length >= 1);
    const row = page.locator('#admin-table tbody tr', { hasText: 'Loads <b>&</b>' });
    await row.locator('button', { hasText: 'Edit' }).click();
    const body = JSON.parse(await page.locator('#admin-create textarea').inputValue());
    body.groups = [w.groupA];
    await page.locator('#admin-create textarea').fill(JSON.stringify(body));
    await page.click('#admin-create button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#admin-create button')?.textContent === 'Create');
    assert.ok((await names()).includes('Loads <b>&</b>'), 'shared with group A');
    assert.deepEqual(pageErrors, []);
  });

  it('view and dashboard editors: two hosts, right axis, sharing with a group, seen by its member, delete', async () => {
    const HOSTILE = '<script>alert("v")</script> web+db load';
    await page.goto(`${base}/dashboards`);
    await page.click('a.button:has-text("New view")');
    await page.waitForURL(`${base}/views/new`);
    // The REST API's error names the field; it shows next to that field.
    await page.click('#view-form button[type=submit]');
    const nameError = page.locator('.field-error[data-for=name]');
    await nameError.waitFor({ state: 'visible' });
    assert.match((await nameError.textContent()) ?? '', /^name: /);
    // Chromium logs the expected 400 on the console; nothing else may be there.
    assert.deepEqual(pageErrors.splice(0), ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await page.fill('#view-form input[name=name]', HOSTILE);
    assert.equal(await nameError.textContent(), '', 'typing in the field clears its error');
    await page.locator('#view-form[data-ready="1"]').waitFor();
    await page.fill('[data-test=source-search]', 'load');
    await page.locator('[data-test=source-results][data-query="load"]').waitFor();
    assert.deepEqual(
      await page.locator('[data-test=source-result] input').evaluateAll((l) => l.map((i) => (i as HTMLInputElement).dataset.label)),
      ['db1 - load - load', 'web1 - load - load'],
    );
    await page.check('[data-test=source-result] input[data-label="web1 - load - load"]');
    await page.check('[data-test=source-result] input[data-label="db1 - load - load"]');
    await page.locator('#selected-sources li', { hasText: 'db1' }).locator('input.right-axis').check();
    await page.fill('#view-form input[name=warning]', '30');
    // A dashboard shows only the views its viewer may see: share the view with group A too.
    await page.locator('.share[data-ready="1"]').waitFor();
    await page.selectOption('#share-groups', String(w.groupA));
    await page.screenshot({ path: join(ARTIFACTS, 'webapp-view-editor.png'), fullPage: true });
    await page.click('#view-form button[type=submit]');
    await page.waitForURL(/\/views\/\d+$/);
    const viewId = Number(/(\d+)$/.exec(page.url())?.[1]);
    const saved = await w.t.deps.repos.views.get(viewId);
    assert.equal(saved?.name, HOSTILE);
    assert.equal(saved?.warning, 30);
    assert.equal(saved?.sources.length, 2);
    assert.deepEqual(saved?.rightAxis, [saved?.sources[1]]);
    assert.deepEqual(saved?.groups, [w.groupA]);
    await page.waitForFunction(() => document.querySelectorAll('.graph-card.ready canvas').length === 1, null, { timeout: 15_000 });
    assert.equal(await page.locator('h1').textContent(), HOSTILE, 'hostile name rendered as text');
    assert.equal(await page.locator('script:not([src])').count(), 0);
    assert.equal(await page.locator('.legend tbody tr').count(), 2);
    // Edit: the form comes back filled in; saving PATCHes.
    await page.click('a.head-action:has-text("Edit")');
    await page.waitForURL(`${base}/views/${viewId}/edit`);
    assert.equal(await page.inputValue('#view-form input[name=name]'), HOSTILE);
    await page.locator('#view-form[data-ready="1"]').waitFor();
    assert.deepEqual(await page.locator('#selected-sources .row-label').allTextContents(), ['web1 - load - load', 'db1 - load - load']);
    assert.deepEqual(
      await page.locator('#selected-sources input.right-axis').evaluateAll((l) => l.map((i) => (i as HTMLInputElement).checked)),
      [false, true],
    );
    await page.fill('#view-form textarea[name=comment]', 'both loads');
    await page.click('#view-form button[type=submit]');
    await page.waitForURL(`${base}/views/${viewId}`);
    assert.equal((await w.t.deps.repos.views.get(viewId))?.comment, 'both loads');

    // Dashboard: add two views, move ours up, remove the other, share with group A.
    await page.goto(`${base}/dashboards`);
    await page.click('a.button:has-text("New dashboard")');
    await page.waitForURL(`${base}/dashboards/new`);
    await page.fill('#dashboard-form input[name=name]', 'Team A <b>board</b>');
    const addView = async (q: string, pick: string) => {
      await page.fill('[data-test=view-search]', q);
      await page.locator(`[data-test=view-results][data-query="${q}"]`).waitFor();
      const button = page.locator('[data-test=view-result] button', { hasText: pick });
      const id = (await button.getAttribute('data-id')) ?? '';
      await button.click();
      return id;
    };
    const other = await addView('Loads', 'Loads <b>&</b>');
    assert.equal(await addView('web+db', HOSTILE), String(viewId));
    const order = () => page.locator('#dashboard-views li').evaluateAll((l) => l.map((li) => Number((li as HTMLElement).dataset.id)));
    assert.deepEqual(await order(), [Number(other), viewId]);
    await page.locator('#dashboard-views li').nth(1).locator('button', { hasText: 'Up' }).click();
    assert.deepEqual(await order(), [viewId, Number(other)]);
    await page.locator('#dashboard-views li').nth(1).locator('button', { hasText: 'Remove' }).click();
    assert.deepEqual(await order(), [viewId]);
    await page.locator('.share[data-ready="1"]').waitFor();
    await page.selectOption('#share-groups', String(w.groupA));
    await page.screenshot({ path: join(ARTIFACTS, 'webapp-dashboard-editor.png'), fullPage: true });
    await page.click('#dashboard-form button[type=submit]');
    await page.waitForURL(/\/dashboards\/\d+$/);
    const dashboardId = Number(/(\d+)$/.exec(page.url())?.[1]);
    assert.deepEqual((await w.t.deps.repos.multiviews.get(dashboardId))?.groups, [w.groupA]);

    // alice (group A) logs in and sees the view's graph: web1's series; db1 (group B) is not hers.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const alice = await context.newPage();
      alice.on('pageerror', (e) => pageErrors.push(`alice: ${e.message}`));
      await alice.goto(`${base}/dashboards/${dashboardId}`);
      await alice.fill('input[name=username]', 'alice');
      await alice.fill('input[name=password]', 'alice-password');
      await alice.click('button[type=submit]');
      await alice.waitForURL(`${base}/dashboards/${dashboardId}`);
      await alice.waitForFunction(() => document.querySelectorAll('.graph-card.ready canvas').length === 1, null, { timeout: 15_000 });
      assert.equal(await alice.locator('h1').textContent(), 'Team A <b>board</b>');
      assert.equal(await alice.locator('.graph-card h3').textContent(), HOSTILE);
      assert.deepEqual(await alice.locator('.legend td.label').allTextContents(), ['web1 - load - load']);
      assert.match((await alice.locator('.graph-card .errors').textContent()) ?? '', /db1 - load - load.*not permitted/);
      assert.equal(await alice.locator('script:not([src])').count(), 0);
      await alice.screenshot({ path: join(ARTIFACTS, 'webapp-shared-dashboard.png'), fullPage: true });
    } finally {
      await context.close();
    }

    // Delete, after an in-page confirmation.
    await page.goto(`${base}/dashboards/${dashboardId}/edit`);
    await page.click('#delete');
    await page.click('#confirm-yes');
    await page.waitForURL(`${base}/dashboards`);
    assert.equal(await w.t.deps.repos.multiviews.get(dashboardId), null);
    assert.equal(await page.locator('#dashboard-list li', { hasText: 'Team A' }).count(), 0);
    assert.deepEqual(pageErrors, []);
  });
});
