import { buildGraph } from '../src/render/model.js';
import type { DataInput, GraphModel, PluginInfoInput } from '../src/render/types.js';
import { buildViewGraph, type ViewInput } from '../src/render/view.js';
import { type AlertState, type GraphAlerts, loadGraphAlerts, worse } from './alert-state.js';
import { api, el } from './api.js';
import { type Annotation, drawChart } from './chart.js';
import type uPlot from './vendor/uplot.js';

/**
 * Graph pages (host, view, dashboard): every card shares one time range: the resolution pills,
 * the custom range, drag-zoom (synchronised across cards) and auto-refresh.
 */
type Resolution = 'Hourly' | 'Daily' | 'Weekly' | 'Monthly' | 'Yearly';
interface Range {
  res: Resolution;
  from?: number;
  until?: number;
}
interface EventOut {
  date: string;
  short_text: string;
  name: string;
  hosts: number[];
}

const SPAN: [Resolution, number][] = [
  ['Hourly', 3600],
  ['Daily', 86_400],
  ['Weekly', 7 * 86_400],
  ['Monthly', 31 * 86_400],
];
const charts = new Map<HTMLElement, uPlot>();
let range: Range = { res: (new URLSearchParams(location.search).get('res') as Resolution) || 'Daily' };
let events: EventOut[] = [];
let syncing = false;

async function loadCard(card: HTMLElement): Promise<void> {
  const q = new URLSearchParams({ res: range.res });
  if (range.from !== undefined && range.until !== undefined) {
    q.set('from', String(range.from));
    q.set('until', String(range.until));
  }
  let model: GraphModel;
  let annotations: Annotation[] = [];
  const alerts = loadGraphAlerts(card);
  try {
    if (card.dataset.kind === 'plugin') {
      q.set('plugin', card.dataset.plugin ?? '');
      const ext = await api<{ infos: PluginInfoInput; datas: DataInput }>(
        'GET',
        `/rest/hosts/${card.dataset.host}/plugin_extended_data?${q}`,
      );
      model = buildGraph(ext.infos, ext.datas);
      const host = Number(card.dataset.host);
      annotations = events
        .filter((e) => e.hosts.includes(host))
        .map((e) => ({ time: Date.parse(e.date) / 1000, text: e.short_text || e.name }));
    } else {
      model = buildViewGraph(await api<ViewInput>('GET', `/rest/views/${card.dataset.view}/extended_data?${q}`));
    }
  } catch (error) {
    card.querySelector('.plot')?.replaceChildren(el('p', (error as Error).message, 'error'));
    return;
  }
  charts.get(card)?.destroy();
  const states = await alerts;
  const chart = drawChart(card, model, annotations, 'page', states);
  showAlertState(card, states);
  chart.hooks.setScale = [...(chart.hooks.setScale ?? []), (u, key) => key === 'x' && syncZoom(u)];
  showRange(card, chart);
  charts.set(card, chart);
  card.classList.add('ready');
  for (const a of Array.from(card.querySelectorAll<HTMLAnchorElement>('.exports a'))) {
    const base = `${card.dataset.export}.${a.textContent?.toLowerCase()}`;
    const eq = new URLSearchParams(q);
    eq.delete('plugin');
    a.href = `${base}?${eq}`;
  }
}

/** The card's worst state (`data-alert-state`), styled by `.graph-card.in-alarm`. */
function showAlertState(card: HTMLElement, alerts: GraphAlerts | null): void {
  let state: AlertState = 'OK';
  for (const s of alerts?.series.values() ?? []) state = worse(state, s.state);
  card.dataset.alertState = alerts ? state : '';
  card.classList.toggle('in-alarm', state === 'WARNING' || state === 'CRITICAL');
}

/** Drag-zoom on one card zooms every card of the page. */
function syncZoom(source: uPlot): void {
  for (const [card, chart] of charts) if (chart === source) showRange(card, chart);
  if (syncing) return;
  syncing = true;
  const { min, max } = source.scales.x;
  for (const [card, chart] of charts) {
    if (chart !== source && min != null && max != null) chart.setScale('x', { min, max });
    showRange(card, chart);
  }
  syncing = false;
}

/** The visible x range, on the card (for people inspecting the page, and for the browser tests). */
function showRange(card: HTMLElement, chart: uPlot): void {
  card.dataset.xmin = String(Math.round(chart.scales.x.min ?? 0));
  card.dataset.xmax = String(Math.round(chart.scales.x.max ?? 0));
}

async function loadAll(): Promise<void> {
  document.body.classList.add('loading');
  await Promise.all(Array.from(document.querySelectorAll<HTMLElement>('.graph-card')).map(loadCard));
  document.body.classList.remove('loading');
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
}

function toolbar(): void {
  for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('.pills button'))) {
    button.classList.toggle('active', button.dataset.res === range.res && range.from === undefined);
    button.onclick = () => {
      range = { res: button.dataset.res as Resolution };
      const url = new URL(location.href);
      url.searchParams.set('res', range.res);
      history.replaceState(null, '', url);
      toolbar();
      void loadAll();
    };
  }
  const form = document.querySelector<HTMLFormElement>('#range-form');
  if (form)
    form.onsubmit = (e) => {
      e.preventDefault();
      const from = Date.parse(String(new FormData(form).get('from'))) / 1000;
      const until = Date.parse(String(new FormData(form).get('until'))) / 1000;
      if (!Number.isFinite(from) || !Number.isFinite(until) || until <= from) return;
      range = { res: SPAN.find(([, s]) => until - from <= s)?.[0] ?? 'Yearly', from: Math.floor(from), until: Math.floor(until) };
      toolbar();
      void loadAll();
    };
}

let timer: ReturnType<typeof setInterval> | undefined;
document.querySelector<HTMLInputElement>('#auto-refresh')?.addEventListener('change', (e) => {
  clearInterval(timer);
  if ((e.target as HTMLInputElement).checked) timer = setInterval(() => void loadAll(), 60_000);
});
new ResizeObserver(() => {
  for (const [card, chart] of charts) {
    const width = card.querySelector<HTMLElement>('.plot')?.clientWidth ?? 0;
    if (width > 0 && Math.abs(width - chart.width) > 2) chart.setSize({ width, height: chart.height });
  }
}).observe(document.body);

toolbar();
api<{ results: EventOut[] }>('GET', '/rest/events?page_size=500')
  .then((page) => {
    events = page.results;
  })
  .catch(() => undefined)
  .finally(() => void loadAll());
