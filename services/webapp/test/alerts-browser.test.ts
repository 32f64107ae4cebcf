import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '../src/pages/assets.js';
import { seedState } from './alerts-world.js';
import { createUiWorld, EVIL_LABEL, EVIL_TITLE, openBrowser, type UiWorld } from './ui-world.js';

const ROOT = repoRoot();
const ARTIFACTS = join(ROOT, 'test-artifacts');
const EVIL_REASON = `value 13 above critical 12 <img src=x onerror=alert("r")> & "q"`;

describe('alerting pages in Chromium', () => {
  let w: UiWorld;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const ids: Record<string, number> = {};

  before(async () => {
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'services/webapp/tsconfig.client.json'], { cwd: ROOT });
    mkdirSync(ARTIFACTS, { recursive: true });
    w = await createUiWorld();
    const pool = w.t.deps.pool;
    const ago = (m: number) => new Date(Date.now() - m * 60_000);
    const [rule] = await pool.query<RowDataPacket[]>(
      `INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES (?, TRUE, ?, NOW(3), NOW(3)) RETURNING id`,
      [
        EVIL_TITLE,
        JSON.stringify({
          name: EVIL_TITLE,
          target: { kind: 'source', hostId: 'web1.example', plugin: 'cpu', field: 'user' },
          critical: { kind: 'above', value: 1 },
        }),
      ],
    );
    await pool.query(
      `INSERT INTO alert_rules (name, enabled, definition, created_at, updated_at) VALUES ('db1 only', TRUE, ?, NOW(3), NOW(3))`,
      [
        JSON.stringify({
          name: 'db1 only',
          target: { kind: 'source', hostId: 'db1.example', plugin: 'load', field: 'load' },
          warning: { kind: 'above', value: 1 },
        }),
      ],
    );
    ids.loadCrit = await seedState(pool, {
      hostid: 'web1.example',
      plugin: 'load',
      field: 'load',
      state: 'CRITICAL',
      since: ago(20),
      value: 13,
      reason: EVIL_REASON,
    });
    ids.evilWarn = await seedState(pool, {
      hostid: 'web1.example',
      plugin: 'evil',
      field: 'x',
      state: 'WARNING',
      since: ago(40),
      value: 3,
      reason: EVIL_LABEL,
    });
    ids.ruleCrit = await seedState(pool, {
      ruleKey: `rule:${rule[0].id}`,
      hostid: 'web1.example',
      plugin: 'cpu',
      field: 'user',
      state: 'CRITICAL',
      since: ago(60),
      value: 30,
    });
    ids.other = await seedState(pool, {
      hostid: 'db1.example',
      plugin: 'load',
      field: 'load',
      state: 'CRITICAL',
      since: ago(90),
      reason: 'not for alice',
    });
    ({ server, base, browser, page } = await openBrowser(w.app, pageErrors));
    await page.goto(`${base}/login`);
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'alice-password');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await w?.close();
  });

  const loaded = (n: number) => page.waitForFunction((k) => Number(document.body.dataset.loaded ?? 0) > k, n, { timeout: 10_000 });
  const loadCount = async () => Number(await page.evaluate(() => document.body.dataset.loaded ?? 0));

  it('Problems: linked from the nav, worst then oldest first, only visible hosts, hostile texts as text', async () => {
    await page.click('.topbar nav a[href="/problems"]');
    await page.waitForURL(`${base}/problems`);
    await loaded(0);
    const rows = page.locator('#problems tbody tr');
    assert.equal(await rows.count(), 3, 'the db1 problem (another group) is not listed');
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.id))), [
      ids.ruleCrit,
      ids.loadCrit,
      ids.evilWarn,
    ]);
    assert.deepEqual(await page.locator('#problems tbody tr td:first-child').allTextContents(), ['CRITICAL', 'CRITICAL', 'WARNING']);
    const load = page.locator(`#problems tr[data-id="${ids.loadCrit}"]`);
    assert.equal(await load.locator('td').nth(6).textContent(), EVIL_REASON);
    assert.equal(await page.locator(`#problems tr[data-id="${ids.ruleCrit}"] td`).nth(3).textContent(), EVIL_TITLE);
    assert.equal(await page.locator(`#problems tr[data-id="${ids.evilWarn}"] td`).nth(6).textContent(), EVIL_LABEL);
    assert.equal(await load.locator('td').nth(1).locator('a').getAttribute('href'), `/hosts/${w.web1.id}`);
    assert.equal(await load.locator('td').nth(2).locator('a').getAttribute('href'), `/hosts/${w.web1.id}#graph-load`);
    assert.equal(await page.locator('img').count(), 0, 'no injected image');
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script');
    assert.deepEqual(pageErrors, []);
    await page.screenshot({ path: join(ARTIFACTS, 'webapp-problems.png'), fullPage: true });
  });

  it('acknowledges and silences from the Problems page; who and when recorded', async () => {
    const load = page.locator(`#problems tr[data-id="${ids.loadCrit}"]`);
    await load.locator('input[name=comment]').fill('on it <b>now</b>');
    let n = await loadCount();
    await load.locator('.ack-form button').click();
    await loaded(n);
    assert.match((await load.locator('.acked').textContent()) ?? '', /^acknowledged by alice .*on it <b>now<\/b>$/);
    const [[acked]] = await w.t.deps.pool.query<RowDataPacket[]>(
      'SELECT u.username, s.acked_at, s.ack_comment FROM alert_states s JOIN users u ON u.id = s.acked_by WHERE s.id = ?',
      [ids.loadCrit],
    );
    assert.equal(acked.username, 'alice');
    assert.equal(acked.ack_comment, 'on it <b>now</b>');
    assert.ok(Math.abs(acked.acked_at.getTime() - Date.now()) < 60_000);

    const evil = page.locator(`#problems tr[data-id="${ids.evilWarn}"]`);
    await evil.locator('.silence-form select').selectOption('14400');
    n = await loadCount();
    await evil.locator('.silence-form button').click();
    await loaded(n);
    assert.match((await evil.locator('.silenced').textContent()) ?? '', /^silenced \(#\d+\)$/);
    const [[silence]] = await w.t.deps.pool.query<RowDataPacket[]>(
      'SELECT u.username, s.host_glob, s.plugin, s.field, s.rule_key, TIMESTAMPDIFF(SECOND, s.starts_at, s.ends_at) AS seconds FROM alert_silences s JOIN users u ON u.id = s.created_by',
    );
    const { seconds, ...matchers } = silence;
    assert.deepEqual(matchers, { username: 'alice', host_glob: 'web1.example', plugin: 'evil', field: 'x', rule_key: 'munin' });
    assert.ok(seconds > 4 * 3600 - 60 && seconds <= 4 * 3600, `4 hours from the click, not ${seconds} s`);
    assert.deepEqual(pageErrors, []);
  });

  it('a graph in alarm: threshold lines coloured by the state, the state in the legend, hostile labels as text', async () => {
    await page.locator(`#problems tr[data-id="${ids.loadCrit}"] td:nth-child(3) a`).click();
    await page.waitForURL(`${base}/hosts/${w.web1.id}#graph-load`);
    await page.waitForFunction(() => document.querySelectorAll('.graph-card.ready canvas').length === 4, null, { timeout: 15_000 });
    const load = page.locator('#graph-load');
    assert.equal(await load.getAttribute('data-alert-state'), 'CRITICAL');
    assert.match((await load.getAttribute('class')) ?? '', /in-alarm/);
    assert.equal(await load.getAttribute('data-thresholds'), 'load:warning:CRITICAL|load:critical:CRITICAL');
    assert.equal(await load.locator('.legend td.state-cell').textContent(), 'CRITICAL');
    assert.match((await load.locator('.legend td.state-cell').getAttribute('title')) ?? '', /munin thresholds: CRITICAL \(value 13/);
    const evil = page.locator('.graph-card[data-plugin=evil]');
    assert.equal(await evil.locator('.legend td.label').textContent(), EVIL_LABEL);
    assert.equal(await evil.locator('.legend td.state-cell').textContent(), 'WARNING');
    const cpu = page.locator('.graph-card[data-plugin=cpu]');
    assert.deepEqual(
      await cpu.locator('.legend td.state-cell').allTextContents(),
      ['', 'CRITICAL'],
      'system has no state, user is CRITICAL',
    );
    assert.match((await cpu.locator('.legend tbody tr').nth(1).locator('td.state-cell').getAttribute('title')) ?? '', /alert\("t"\)/);
    const traffic = page.locator('.graph-card[data-plugin=if_eth0]');
    assert.equal(await traffic.getAttribute('data-alert-state'), 'OK');
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(pageErrors, []);
    await load.screenshot({ path: join(ARTIFACTS, 'webapp-graph-alarm.png') });
  });

  it('history of the host, and the rule editor showing the server error next to the field', async () => {
    await page.goto(`${base}/alerts/history?host=${w.web1.id}`);
    await loaded(0);
    assert.equal(await page.locator('#history tbody tr').count(), 3);
    assert.equal(await page.locator('#subscribe').textContent(), 'Subscribe');
    await page.click('#subscribe');
    await page.waitForFunction(() => document.querySelector('#subscribe')?.textContent === 'Unsubscribe');
    const [subs] = await w.t.deps.pool.query<RowDataPacket[]>('SELECT host_id FROM alert_subscriptions');
    assert.deepEqual(
      subs.map((r) => r.host_id),
      [w.web1.id],
    );
    await page.goto(`${base}/alerts/history?host=${w.db1.id}`);
    assert.equal(await page.locator('h1').textContent(), 'Not found');

    await page.goto(`${base}/alerts/rules`);
    await loaded(0);
    assert.deepEqual(
      await page.locator('#rule-list tbody tr td:first-child').allTextContents(),
      [EVIL_TITLE],
      'the rule on db1 (another group) is not listed; the hostile name is text',
    );
    await page.fill('input[name=name]', 'web1 load too high');
    await page.fill('input[name="target.hostId"]', 'web1.example');
    await page.fill('input[name="target.plugin"]', 'load');
    await page.fill('input[name="target.field"]', 'load');
    await page.selectOption('select[name="critical.kind"]', 'above');
    assert.equal(await page.locator('input[name="critical.minutes"]').isVisible(), false);
    await page.click('#save');
    const error = page.locator('.field-error[data-for=critical]');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /^critical\.value: /);
    await page.fill('input[name="critical.value"]', '12');
    const n = await loadCount();
    await page.click('#save');
    await loaded(n).catch(async (e) => {
      throw new Error(`save failed: ${await page.locator('form .error').allTextContents()}`, { cause: e });
    });
    assert.deepEqual(await page.locator('#rule-list tbody tr').nth(1).locator('td').allTextContents(), [
      'web1 load too high',
      'web1.example · load · load',
      '',
      'above 12',
      'yes',
      'EditDelete',
    ]);
    // the 404 page and the refused save are logged by the browser as failed loads: those only
    assert.deepEqual(
      pageErrors.filter((e) => !/^Failed to load resource: the server responded with a status of (404|400)/.test(e)),
      [],
    );
  });

  it('contact and silence editors: the failing status shown as text, errors by field, expire early', async () => {
    const [[alice]] = await w.t.deps.pool.query<RowDataPacket[]>("SELECT id FROM users WHERE username = 'alice'");
    await w.t.deps.pool.query(
      `INSERT INTO contacts (name, kind, settings, user_id, last_error, last_error_at, failing_since) VALUES ('pager', 'webhook', ?, ?, ?, NOW(3), NOW(3))`,
      [JSON.stringify({ kind: 'webhook', url: 'http://pager.example/hook' }), alice.id, `HTTP 500: ${EVIL_LABEL}`],
    );
    await page.goto(`${base}/alerts/contacts`);
    await loaded(0);
    const failing = page.locator('#contact-list tbody tr .contact-failing');
    // A user reads the kind of failure, never the receiver's own words (docs/security.md, alert contacts).
    assert.match((await failing.textContent()) ?? '', /^failing since .*: the receiver answered HTTP 500$/);
    assert.equal(await page.locator('#contact-list img').count(), 0);
    assert.equal(await page.locator('select[name="settings.kind"] option[value=command]').count(), 0, 'no command contacts for users');
    await page.fill('input[name=name]', 'my mail');
    await page.fill('input[name="settings.to"]', 'alice@example.org, not-an-address');
    await page.click('#save');
    const error = page.locator('.field-error[data-for=settings]');
    await error.waitFor({ state: 'visible' });
    assert.match((await error.textContent()) ?? '', /^settings\.to\.1: /);
    await page.fill('input[name="settings.to"]', 'alice@example.org');
    let n = await loadCount();
    await page.click('#save');
    await loaded(n);
    assert.deepEqual(await page.locator('#contact-list tbody tr td:first-child').allTextContents(), ['my mail', 'pager']);
    await page.goto(`${base}/problems`);
    await page.locator('#failing-contacts').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#failing-contacts').textContent(), '1 contact failing (pager): see Contacts');

    await page.goto(`${base}/alerts/silences`);
    await loaded(0);
    const before = await page.locator('#silence-list tbody tr').count();
    await page.fill('input[name=host_glob]', 'web1.example');
    await page.fill('input[name=plugin]', 'cpu');
    await page.fill('textarea[name=comment]', 'reboot <script>x</script>');
    n = await loadCount();
    await page.click('#silence-form button[type=submit]');
    await loaded(n);
    const rows = page.locator('#silence-list tbody tr');
    assert.equal(await rows.count(), before + 1);
    const mine = rows.filter({ hasText: 'plugin cpu' });
    assert.equal(await mine.locator('td').nth(4).textContent(), 'reboot <script>x</script>');
    assert.match((await mine.locator('td').nth(3).textContent()) ?? '', /^alice, /);
    await mine.locator('button.danger').click();
    n = await loadCount();
    await mine.locator('button.danger').click();
    await loaded(n);
    assert.equal(await page.locator('#silence-list tbody tr').count(), before, 'expired: no longer listed as active');
    n = await loadCount();
    await page.check('#show-ended');
    await loaded(n);
    assert.match(
      (await page.locator('#silence-list tbody tr', { hasText: 'plugin cpu' }).locator('td').nth(2).textContent()) ?? '',
      /\(ended\)$/,
    );
    assert.equal(await page.locator('script:not([src])').count(), 0);
    assert.deepEqual(
      pageErrors.filter((e) => !/^Failed to load resource: the server responded with a status of (404|400)/.test(e)),
      [],
    );
  });
});
