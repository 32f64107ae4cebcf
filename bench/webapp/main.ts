/**
 * Webapp budget: a dashboard of 20 graphs × 1,440 points drawn and interactive in Chromium in
 * under 1 s, and one graph's PNG export under 200 ms on the server.
 * References measured in the same run: the same 20 charts drawn with bare uPlot (no model,
 * legend, thresholds), and the resvg step alone of the PNG export.
 */
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import express from 'express';
import { chromium } from 'playwright-core';
import { DEFAULT_FONT_FILE, renderPng, renderSvg } from '../../common/charts/index.js';
import { assetsRouter, repoRoot } from '../../services/webapp/src/pages/assets.js';
import { buildGraph } from '../../services/webapp/src/render/model.js';

const GRAPHS = 20;
const POINTS = 1440;
const BUDGET_DASHBOARD_MS = 1000;
const BUDGET_PNG_MS = 200;
const ROOT = repoRoot();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

function plugin(k: number) {
  const info = {
    Plugin: `p${k}`,
    Title: `Graph ${k}`,
    Vlabel: 'bytes per ${graph_period}',
    Base: '1024',
    Infos: {
      user: { id: 'user', label: 'user', draw: 'AREA' },
      system: { id: 'system', label: 'system', draw: 'STACK' },
      load: { id: 'load', label: 'load', warning: '80', critical: '95' },
    },
  };
  const series = (phase: number) => Array.from({ length: POINTS }, (_, i) => 40 + 30 * Math.sin(i / 60 + phase + k));
  return { info, data: { TS_start: 1_700_000_000, TS_step: 60, DATAS: { user: series(0), system: series(1), load: series(2) } } };
}

/** Runs in Chromium; a string so the TypeScript loader's helpers (tsx adds __name) stay out of it. */
const IN_PAGE = `async (inputs) => {
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const { drawChart } = await import('/app/client/chart.js');
  const { buildGraph } = await import('/app/src/render/model.js');
  const { default: uPlot } = await import('/vendor/uplot.esm.js');
  const cards = Array.from(document.querySelectorAll('.graph-card'));
  // Bare uPlot reference: same data, same size, nothing else.
  let start = performance.now();
  const bare = inputs.map((input, k) => {
    const xs = input.data.DATAS.user.map((_, i) => input.data.TS_start + i * 60);
    const d = input.data.DATAS;
    return new uPlot({ width: cards[k].clientWidth, height: 240, series: [{}, { stroke: 'red' }, { stroke: 'blue' }, { stroke: 'green' }] },
      [xs, d.user, d.system, d.load], cards[k].querySelector('.plot'));
  });
  await nextFrame();
  const bareMs = performance.now() - start;
  for (const chart of bare) chart.destroy();
  start = performance.now();
  const charts = inputs.map((input, k) => drawChart(cards[k], buildGraph(input.info, input.data), [], 'bench'));
  await nextFrame();
  const drawn = performance.now() - start;
  // Interactive: a cursor move on the first graph, synced to all 20, legends updated.
  const over = cards[0].querySelector('.u-over');
  const box = over.getBoundingClientRect();
  const hoverStart = performance.now();
  over.dispatchEvent(new MouseEvent('mousemove', { clientX: box.left + box.width / 2, clientY: box.top + 50, bubbles: true }));
  await nextFrame();
  const hover = performance.now() - hoverStart;
  const ok = charts.length === 20 && cards[19].querySelector('td.now').textContent !== '';
  return { drawn, bareMs, hover, ok };
}`;

async function dashboard(): Promise<{ ours: number[]; bare: number[]; hover: number[] }> {
  execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'services/webapp/tsconfig.client.json'], { cwd: ROOT });
  const app = express();
  app.use(assetsRouter());
  const cards = Array.from(
    { length: GRAPHS },
    () =>
      '<article class="graph-card"><div class="plot"></div><div class="errors"></div><table class="legend"><tbody></tbody></table></article>',
  ).join('');
  app.get(
    '/bench',
    (_req, res) =>
      void res
        .type('html')
        .send(
          `<!doctype html><link rel="stylesheet" href="/vendor/uplot.min.css"><link rel="stylesheet" href="/static/app.css"><main><div class="graphs">${cards}</div></main>`,
        ),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const result = { ours: [] as number[], bare: [] as number[], hover: [] as number[] };
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const inputs = Array.from({ length: GRAPHS }, (_, k) => plugin(k));
    for (let run = 0; run < 5; run++) {
      await page.goto(`${base}/bench`);
      const t = (await page.evaluate(`(${IN_PAGE})(${JSON.stringify(inputs)})`)) as {
        drawn: number;
        bareMs: number;
        hover: number;
        ok: boolean;
      };
      if (!t.ok) throw new Error('the hover did not reach the last graph');
      result.ours.push(t.drawn + t.hover);
      result.bare.push(t.bareMs);
      result.hover.push(t.hover);
    }
  } finally {
    await browser.close();
    server.close();
  }
  return result;
}

function png(): { total: number[]; resvgOnly: number[] } {
  const { info, data } = plugin(0);
  const size = { width: 800, height: 300, theme: 'light' as const };
  const total: number[] = [];
  const resvgOnly: number[] = [];
  for (let i = 0; i < 25; i++) {
    const start = performance.now();
    const image = renderPng(buildGraph(info, data), size);
    const elapsed = performance.now() - start;
    if (i >= 5) total.push(elapsed);
    if (image.readUInt32BE(16) !== 800) throw new Error('wrong PNG width');
    const svg = renderSvg(buildGraph(info, data), size);
    const t = performance.now();
    new Resvg(svg, { font: { fontFiles: [DEFAULT_FONT_FILE], loadSystemFonts: false } }).render().asPng();
    if (i >= 5) resvgOnly.push(performance.now() - t);
  }
  return { total, resvgOnly };
}

const d = await dashboard();
const p = png();
const ours = median(d.ours);
const bare = median(d.bare);
console.log(`dashboard ${GRAPHS} graphs × ${POINTS} points × 3 series, drawn + first hover (median of ${d.ours.length}): ${fmt(ours)}`);
console.log(`  of which hover (cursor synced to all graphs, legends updated): ${fmt(median(d.hover))}`);
console.log(`  reference, bare uPlot same data: ${fmt(bare)} (ratio ${(ours / bare).toFixed(2)})`);
console.log(`  budget ${BUDGET_DASHBOARD_MS} ms: ratio ${(ours / BUDGET_DASHBOARD_MS).toFixed(2)}`);
const pngMs = median(p.total);
console.log(
  `PNG export 800×300, 3 series × ${POINTS} points (model + ECharts SSR + resvg, median of ${p.total.length} warm): ${fmt(pngMs)}`,
);
console.log(`  reference, resvg step alone: ${fmt(median(p.resvgOnly))} (ratio ${(pngMs / median(p.resvgOnly)).toFixed(2)})`);
console.log(`  budget ${BUDGET_PNG_MS} ms: ratio ${(pngMs / BUDGET_PNG_MS).toFixed(2)}`);
