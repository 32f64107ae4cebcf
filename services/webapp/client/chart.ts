import { withAlpha } from '../src/render/palette.js';
import type { GraphModel } from '../src/render/types.js';
import { formatValue } from '../src/render/units.js';
import { type AlertState, type GraphAlerts, stateBadge } from './alert-state.js';
import { el } from './api.js';
import uPlot from './vendor/uplot.js';

/** Times of annotations (epoch seconds) with their short text. */
export interface Annotation {
  time: number;
  text: string;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/**
 * Draw a GraphModel with uPlot in `card`: stacked bands, mirrored in/out series, threshold
 * lines, event annotations, and the min/avg/max/last legend whose "now" column follows the
 * cursor. Labels are set with textContent only. With `alerts`, threshold lines take the colour
 * of their series' alert state and the legend shows each series' state.
 */
export function drawChart(
  card: HTMLElement,
  model: GraphModel,
  events: readonly Annotation[],
  sync: string,
  alerts: GraphAlerts | null = null,
): uPlot {
  const plot = card.querySelector<HTMLElement>('.plot') as HTMLElement;
  plot.replaceChildren();
  const text = cssVar('--text', '#1f2430');
  const muted = cssVar('--muted', '#5c6370');
  const grid = cssVar('--grid', '#e3e6eb');
  const hasRight = model.series.some((s) => s.axis === 'right');
  const fmt = (v: number | null) => formatValue(v, model.base);
  const axis = (scale: string, side: number): uPlot.Axis => ({
    scale,
    side,
    stroke: muted,
    grid: { show: side === 3, stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    size: 64,
    label: side === 3 ? model.vlabel : undefined,
    labelSize: 16,
    values: (_u, ticks) => ticks.map((v) => fmt(v)),
  });
  const opts: uPlot.Options = {
    width: Math.max(280, plot.clientWidth),
    height: 240,
    legend: { show: false },
    cursor: { sync: { key: sync, setSeries: false }, drag: { x: true, y: false } },
    scales: {
      x: { time: true },
      y: { distr: model.logarithmic ? 3 : 1, range: (_u, min, max) => yRange(min, max, model.lowerLimit, model.upperLimit) },
      ...(hasRight ? { y2: {} } : {}),
    },
    axes: [{ stroke: muted, grid: { show: false }, ticks: { stroke: grid, width: 1 } }, axis('y', 3), ...(hasRight ? [axis('y2', 1)] : [])],
    series: [
      {},
      ...model.series.map((s) => ({
        label: s.label,
        scale: s.axis === 'right' ? 'y2' : 'y',
        stroke: s.lineWidth === 0 ? 'transparent' : s.colour,
        width: Math.max(s.lineWidth, 0) || 0,
        fill: s.kind === 'area' && s.stackedOn === undefined ? withAlpha(s.colour, 0.35) : undefined,
        points: { show: false },
        spanGaps: false,
      })),
    ],
    bands: model.series.flatMap((s, i) =>
      s.stackedOn !== undefined && s.kind === 'area'
        ? [{ series: [i + 1, s.stackedOn + 1] as [number, number], fill: withAlpha(s.colour, 0.35) }]
        : [],
    ),
    hooks: {
      draw: [(u) => drawAnnotations(u, model, events, text, alerts)],
      setCursor: [(u) => updateNow(card, model, u.cursor.idx ?? null)],
    },
  };
  const data = [model.timestamps, ...model.series.map((s) => s.plotted)] as uPlot.AlignedData;
  const chart = new uPlot(opts, data, plot);
  fillLegend(card, model, chart, alerts);
  card.dataset.thresholds = model.thresholds.map((t) => `${t.field}:${t.level}:${thresholdState(t.field, alerts) ?? ''}`).join('|');
  const errors = card.querySelector<HTMLElement>('.errors');
  errors?.replaceChildren(...model.errors.map((e) => el('p', e, 'error')));
  return chart;
}

function yRange(min: number | null, max: number | null, lower?: number, upper?: number): uPlot.Range.MinMax {
  let lo = min ?? 0;
  let hi = max ?? 1;
  if (lo > 0 && lower === undefined) lo = 0;
  if (hi < 0) hi = 0;
  if (lower !== undefined) lo = Math.min(lo, lower);
  if (upper !== undefined) hi = Math.max(hi, upper);
  if (lo === hi) hi = lo + 1;
  const pad = (hi - lo) * 0.05;
  return [lo < 0 ? lo - pad : lo, hi + pad];
}

/** The alert state colouring a threshold line of `field` ('' = the view's own lines), if known. */
function thresholdState(field: string, alerts: GraphAlerts | null): AlertState | undefined {
  return alerts?.thresholds.get(field);
}

const STATE_COLOUR: Record<AlertState, [string, string]> = {
  OK: ['--ok', '#2e9d4f'],
  UNKNOWN: ['--unknown', '#8a8f98'],
  WARNING: ['--warning', '#e5a50a'],
  CRITICAL: ['--critical', '#d62d2d'],
};

/**
 * Without a known state a line has its level's colour; with one, the state's colour (green
 * while OK), and the line of the level the series is in is drawn thicker.
 */
function thresholdStroke(level: 'warning' | 'critical', state: AlertState | undefined): { colour: string; width: number } {
  if (state === undefined) return { colour: cssVar(...STATE_COLOUR[level === 'critical' ? 'CRITICAL' : 'WARNING']), width: 1.5 };
  return { colour: cssVar(...STATE_COLOUR[state]), width: state === level.toUpperCase() ? 3 : 1.5 };
}

function drawAnnotations(u: uPlot, model: GraphModel, events: readonly Annotation[], text: string, alerts: GraphAlerts | null): void {
  const { ctx, bbox } = u;
  ctx.save();
  for (const t of model.thresholds) {
    const y = u.valToPos(t.value, t.axis === 'right' ? 'y2' : 'y', true);
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    const stroke = thresholdStroke(t.level, thresholdState(t.field, alerts));
    ctx.strokeStyle = stroke.colour;
    ctx.lineWidth = stroke.width * devicePixelRatio;
    ctx.setLineDash(t.level === 'critical' ? [3 * devicePixelRatio, 3 * devicePixelRatio] : [6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
  }
  ctx.setLineDash([2 * devicePixelRatio, 3 * devicePixelRatio]);
  ctx.strokeStyle = text;
  ctx.fillStyle = text;
  ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  for (const e of events) {
    const x = u.valToPos(e.time, 'x', true);
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.fillText(e.text, x + 3 * devicePixelRatio, bbox.top + 12 * devicePixelRatio);
  }
  ctx.restore();
}

function stateCell(label: string, alerts: GraphAlerts | null): HTMLTableCellElement {
  const cell = el('td', undefined, 'state-cell');
  const alert = alerts?.series.get(label);
  if (!alert) return cell;
  cell.append(stateBadge(alert.state));
  cell.title = alert.rules.map((r) => `${r.rule_name}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`).join('\n');
  return cell;
}

function fillLegend(card: HTMLElement, model: GraphModel, chart: uPlot, alerts: GraphAlerts | null): void {
  const body = card.querySelector('.legend tbody');
  if (!body) return;
  const fmt = (v: number | null) => formatValue(v, model.base);
  body.replaceChildren(
    ...model.series.map((s, i) => {
      const row = el('tr');
      const swatch = el('span', undefined, 'swatch');
      swatch.style.background = s.colour;
      const cell = el('td');
      cell.append(swatch);
      row.append(cell, el('td', s.mirrored ? `${s.label} (−)` : s.label, 'label'), stateCell(s.field, alerts), el('td', '', 'now'));
      for (const v of [s.stats.min, s.stats.avg, s.stats.max, s.stats.last]) row.append(el('td', fmt(v), 'num'));
      if (s.info) row.title = s.info;
      row.addEventListener('click', () => {
        const shown = !chart.series[i + 1].show;
        chart.setSeries(i + 1, { show: shown });
        row.classList.toggle('off', !shown);
      });
      return row;
    }),
  );
}

function updateNow(card: HTMLElement, model: GraphModel, idx: number | null): void {
  const cells = card.querySelectorAll<HTMLTableCellElement>('.legend tbody td.now');
  model.series.forEach((s, i) => {
    if (cells[i]) cells[i].textContent = idx === null ? '' : formatValue(s.values[idx], model.base);
  });
}
