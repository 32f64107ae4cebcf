/**
 * The pages of bench/scale in Chromium: ready time from navigation start (the document, its
 * graphs or lazy lists done), page size (the document plus the JSON it fetched, decoded; the
 * static scripts and styles are the same at every fleet size and cached), and the view editor's
 * keystroke-to-filtered-list latency.
 */
import type { Page } from 'playwright-core';

export interface PageFigures {
  readyMs: number;
  /** The server's part: navigation start to the document's last byte. */
  documentMs: number;
  documentBytes: number;
  dataBytes: number;
  /** JSON requests of the page, and the slowest one (start to end): where a slow page waits. */
  dataRequests: number;
  slowestDataMs: number;
  elements: number;
}

/** The view editor's search box and the rows a search shows: the stable `data-test` names of docs/webapp.md. */
export const EDITOR = {
  input: '[data-test=source-search]',
  item: '[data-test=source-result]',
  results: '[data-test=source-results]',
};

/** A selector the bench relies on found nothing: the page changed, the figures would be meaningless. */
export class MissingSelectorError extends Error {
  override name = 'MissingSelectorError';
  constructor(selector: string, where: string) {
    super(`bench/scale: ${selector} finds nothing on ${where} (renamed? see the data-test names in docs/webapp.md)`);
  }
}

/** Runs in the page (a string: tsx's helpers must stay out of it). True once the page is ready; records when. */
const READY = `() => {
  const w = window;
  if (w.__benchReady !== undefined) return true;
  if (document.readyState !== 'complete') return false;
  if (document.body.classList.contains('loading')) return false;
  if (document.querySelector('.graph-card') && !document.body.dataset.loaded) return false;
  const editor = document.querySelector('form.editor');
  if (editor && !editor.dataset.ready) return false;
  w.__benchReady = performance.now();
  return true;
}`;

const FIGURES = `() => {
  const nav = performance.getEntriesByType('navigation')[0];
  let data = 0;
  let requests = 0;
  let slowest = 0;
  for (const r of performance.getEntriesByType('resource'))
    if (r.initiatorType === 'fetch' || r.initiatorType === 'xmlhttprequest') {
      data += r.decodedBodySize;
      requests++;
      slowest = Math.max(slowest, r.duration);
    }
  return {
    readyMs: window.__benchReady,
    documentMs: nav.responseEnd,
    documentBytes: nav.decodedBodySize,
    dataBytes: data,
    dataRequests: requests,
    slowestDataMs: slowest,
    elements: document.getElementsByTagName('*').length,
  };
}`;

export async function login(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${base}/`, { timeout: 120_000 }), page.click('button[type=submit]')]);
}

/** Opens `url` and waits until it is ready; `extra` is a selector that must then be in the page (else MissingSelectorError). */
export async function measurePage(page: Page, url: string, extra = '', timeoutMs = 120_000): Promise<PageFigures> {
  await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
  await page.waitForFunction(`(${READY})()`, null, { timeout: timeoutMs, polling: 'raf' });
  if (extra && (await page.locator(extra).count()) === 0) throw new MissingSelectorError(extra, url);
  return (await page.evaluate(`(${FIGURES})()`)) as PageFigures;
}

/**
 * Runs in the page. `typed`: types all but the last character, lets the answer come, then times
 * the last keystroke; `pasted`: from an empty box, the whole query in one input event (nothing
 * loaded to narrow: the server's round trip as the user waits for it). `listMs` runs until the
 * list shows exactly the `expected` items, all matching (what the user sees, narrowed in the page
 * or answered); `finalMs` until the server's answer to the query is shown.
 */
const KEYSTROKE = `async ({ input, item, results, query, expected, pasted, timeoutMs }) => {
  const box = document.querySelector(input);
  const list = document.querySelector(results);
  if (!box || !list) throw new Error('bench/scale: ' + (box ? results : input) + ' finds nothing in the view editor');
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const type = (value) => {
    box.value = value;
    box.dispatchEvent(new InputEvent('input', { bubbles: true, data: value.slice(-1), inputType: 'insertText' }));
  };
  const shown = () => Array.from(document.querySelectorAll(item)).filter((e) => e.checkVisibility());
  const matches = () => {
    const items = shown();
    return items.length === expected && items.every((e) => e.textContent.toLowerCase().includes(query));
  };
  const answered = (q) => list.dataset.state === 'final' && list.dataset.query === q;
  const settle = async (q) => {
    const start = performance.now();
    while (!answered(q)) {
      if (performance.now() - start > timeoutMs) throw new Error('bench/scale: no answer to "' + q + '" in the view editor');
      await frame();
    }
    await new Promise((r) => setTimeout(r, 300));
  };
  const before = pasted ? '' : query.slice(0, -1);
  type(before);
  await settle(before);
  const start = performance.now();
  type(query);
  await frame();
  const handledMs = performance.now() - start;
  let listMs = -1;
  while (performance.now() - start < timeoutMs) {
    if (listMs < 0 && matches()) listMs = performance.now() - start;
    if (listMs >= 0 && answered(query)) return { handledMs, listMs, finalMs: performance.now() - start, shown: expected };
    await frame();
  }
  if (shown().length === 0 && document.querySelectorAll(item).length === 0)
    throw new Error('bench/scale: ' + item + ' finds nothing after typing "' + query + '" (renamed?)');
  return { handledMs, listMs, finalMs: -1, shown: shown().length };
}`;

export interface KeystrokeFigures {
  /** Until the next frame after the input event: how long the keystroke held the page. */
  handledMs: number;
  /** Until the list shows exactly the expected items (-1: never, within the timeout). */
  listMs: number;
  /** Until the server's answer to the query is shown (-1: never). */
  finalMs: number;
  shown: number;
}

export async function measureKeystroke(
  page: Page,
  query: string,
  expected: number,
  how: 'typed' | 'pasted',
  timeoutMs = 30_000,
): Promise<KeystrokeFigures> {
  const args = { ...EDITOR, query: query.toLowerCase(), expected, pasted: how === 'pasted', timeoutMs };
  return (await page.evaluate(`(${KEYSTROKE})(${JSON.stringify(args)})`)) as KeystrokeFigures;
}
