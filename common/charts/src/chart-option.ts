import type { ChartModel, ChartPalette, ChartSeries, ChartSize, Theme } from './model.js';
import { formatValue } from './units.js';

/**
 * ChartModel → ECharts option for the server renderer. Every text here comes from outside
 * (pollers, Graphite targets): ECharts' SVG renderer escapes text content and we never build
 * markup ourselves. Stacks use ECharts' own stacking on the signed values, grouped by the
 * model's stack chains; precomputed (already cumulative) stacks are filled areas drawn in
 * reverse order, so each shows as the band above the one before it.
 */

const COLOURS: Record<Theme, ChartPalette & { warning: string; critical: string }> = {
  light: { background: '#ffffff', text: '#1f2430', muted: '#5c6370', grid: '#e3e6eb', warning: '#e5a50a', critical: '#d62d2d' },
  dark: { background: '#181b21', text: '#e6e8eb', muted: '#9aa1ab', grid: '#2c313a', warning: '#f6c344', critical: '#ff5c5c' },
};
type Palette = (typeof COLOURS)[Theme];

export const FONT_FAMILY = 'DejaVu Sans';
const ROW_HEIGHT = 16;
const MAX_LEGEND_ROWS = 12;
const HEX_COLOUR = /^#[0-9a-fA-F]{6}$/;

export function legendRows(model: ChartModel, height: number): number {
  if (model.legend === 'none') return 0;
  // Keep at least 150 px for the plot (less on small graphs); the rest of the rows are summarised in one line.
  const plot = Math.min(150, Math.floor(height / 2));
  const room = Math.floor((height - plot - 30) / ROW_HEIGHT);
  return Math.max(0, Math.min(model.series.length, MAX_LEGEND_ROWS, room));
}

function paletteOf(model: ChartModel, theme: Theme): Palette {
  const palette = { ...COLOURS[theme] };
  for (const key of ['background', 'text', 'muted', 'grid'] as const) {
    const colour = model.palette?.[key];
    if (colour && HEX_COLOUR.test(colour)) palette[key] = colour;
  }
  return palette;
}

export function chartOption(model: ChartModel, size: ChartSize): Record<string, unknown> {
  const palette = paletteOf(model, size.theme);
  const rows = legendRows(model, size.height);
  const legendHeight = rows > 0 ? (rows + 1) * ROW_HEIGHT + 8 : 0;
  const hasRight = model.series.some((s) => s.axis === 'right');
  const narrow = size.width < 500;
  const axis = (position: 'left' | 'right', name: string) => ({
    type: model.logarithmic ? 'log' : 'value',
    position,
    name,
    nameLocation: 'middle',
    nameGap: narrow ? 40 : 52,
    nameTextStyle: { color: palette.muted, fontFamily: FONT_FAMILY },
    min: position === 'left' ? model.lowerLimit : undefined,
    max: position === 'left' ? model.upperLimit : undefined,
    axisLabel: { color: palette.muted, fontFamily: FONT_FAMILY, formatter: (v: number) => formatValue(v, model.base) },
    splitLine: { show: position === 'left', lineStyle: { color: palette.grid } },
  });
  const side = narrow ? 56 : 72;
  return {
    animation: false,
    backgroundColor: palette.background,
    textStyle: { fontFamily: FONT_FAMILY, color: palette.text },
    title: { text: model.title, left: 'center', top: 6, textStyle: { fontSize: 14, fontFamily: FONT_FAMILY, color: palette.text } },
    grid: { left: side, right: hasRight ? side : 24, top: 36, bottom: 28 + legendHeight },
    xAxis: {
      type: 'time',
      axisLabel: { color: palette.muted, fontFamily: FONT_FAMILY, hideOverlap: true },
      axisLine: { lineStyle: { color: palette.grid } },
      splitLine: { show: false },
    },
    yAxis: hasRight ? [axis('left', model.vlabel), axis('right', model.vlabelRight ?? '')] : [axis('left', model.vlabel)],
    series: [...drawOrder(model).map((i) => seriesOption(model, model.series[i], i)), annotations(model, size, palette)],
    graphic: model.legend === 'names' ? legendNames(model, rows, size, palette) : legendTable(model, rows, size, palette),
  };
}

function stackRoot(model: ChartModel, index: number): number | undefined {
  let root: number | undefined = model.series[index].stackedOn;
  if (root === undefined) return model.series.some((other) => other.stackedOn === index) ? index : undefined;
  while (model.series[root].stackedOn !== undefined) root = model.series[root].stackedOn as number;
  return root;
}

/** Series indexes in drawing order: cumulative areas first and last-to-first (each band shows above the one before), then the rest. */
function drawOrder(model: ChartModel): number[] {
  const indexes = model.series.map((_, i) => i);
  const cumulative = indexes.filter((i) => model.series[i].precomputedStack).reverse();
  return [...cumulative, ...indexes.filter((i) => !model.series[i].precomputedStack)];
}

function seriesOption(model: ChartModel, s: ChartSeries, index: number) {
  const root = stackRoot(model, index);
  const signed = s.mirrored ? s.values.map((v) => (v === null ? null : -v)) : s.values;
  const area = s.kind === 'area' || s.precomputedStack;
  const opacity = model.areaOpacity ?? (s.precomputedStack ? 1 : 0.45);
  return {
    type: 'line',
    name: s.label,
    yAxisIndex: s.axis === 'right' ? 1 : 0,
    stack: root === undefined ? undefined : `stack${root}`,
    data: model.timestamps.map((t, i) => [t * 1000, signed[i] ?? null]),
    showSymbol: false,
    connectNulls: false,
    sampling: 'lttb',
    color: HEX_COLOUR.test(s.colour) ? s.colour : '#888888',
    lineStyle: { width: s.lineWidth, opacity: s.lineWidth === 0 ? 0 : 1, type: s.dashed ? [s.dashed, s.dashed] : 'solid' },
    areaStyle: area ? { opacity } : undefined,
    silent: true,
  };
}

/** Threshold lines and event markers, on an empty series so they never join a stack. */
function annotations(model: ChartModel, size: ChartSize, palette: Palette) {
  const lines = [
    ...model.thresholds.map((t) => ({
      yAxis: t.value,
      lineStyle: { color: palette[t.level], type: 'dashed', width: 1 },
      label: { show: false },
    })),
    ...(size.events ?? []).map((e) => ({
      xAxis: e.time * 1000,
      lineStyle: { color: palette.muted, type: 'dotted', width: 1 },
      label: { show: true, formatter: e.text, color: palette.muted, fontFamily: FONT_FAMILY, fontSize: 10 },
    })),
  ];
  return { type: 'line', name: '', data: [], markLine: { silent: true, symbol: 'none', data: lines } };
}

function text(x: number, y: number, value: string, align: 'left' | 'right', colour: string) {
  return {
    type: 'text',
    x,
    y,
    style: { text: value, fill: colour, font: `11px '${FONT_FAMILY}'`, textAlign: align, textVerticalAlign: 'top' },
    silent: true,
  };
}

function swatch(y: number, colour: string) {
  return {
    type: 'rect',
    shape: { x: 16, y: y + 2, width: 10, height: 10 },
    style: { fill: HEX_COLOUR.test(colour) ? colour : '#888888' },
    silent: true,
  };
}

/** A label cut to what `room` pixels hold at ~7 px a character. */
function fitted(label: string, room: number): string {
  const chars = Math.max(8, Math.floor(room / 7));
  return label.length > chars ? `${label.slice(0, chars - 1)}…` : label;
}

function moreLine(model: ChartModel, rows: number, top: number, palette: Palette) {
  return text(32, top + rows * ROW_HEIGHT - 2, `… ${model.series.length - rows} more series`, 'left', palette.muted);
}

/** Munin-style table under the plot: colour, label, min, avg, max, last (Baadal's averages table). */
function legendTable(model: ChartModel, rows: number, size: ChartSize, palette: Palette) {
  if (rows === 0) return [];
  const top = size.height - (rows + 1) * ROW_HEIGHT - 6;
  const columns = [size.width - 340, size.width - 260, size.width - 180, size.width - 100];
  const elements: Record<string, unknown>[] = ['min', 'avg', 'max', 'last'].map((h, i) =>
    text(columns[i] + 60, top, h, 'right', palette.muted),
  );
  model.series.slice(0, rows).forEach((s, r) => {
    const y = top + (r + 1) * ROW_HEIGHT;
    elements.push(swatch(y, s.colour));
    const label = fitted(s.label, columns[0] - 40);
    elements.push(text(32, y, s.mirrored ? `${label} (-)` : label, 'left', palette.text));
    [s.stats.min, s.stats.avg, s.stats.max, s.stats.last].forEach((v, i) => {
      elements.push(text(columns[i] + 60, y, formatValue(v, model.base), 'right', palette.text));
    });
  });
  if (model.series.length > rows) elements.push(moreLine(model, rows + 1, top, palette));
  return elements;
}

/** Graphite-style legend: colour and name, one per row, right-axis series marked. */
function legendNames(model: ChartModel, rows: number, size: ChartSize, palette: Palette) {
  if (rows === 0) return [];
  const top = size.height - (rows + 1) * ROW_HEIGHT;
  const elements: Record<string, unknown>[] = [];
  model.series.slice(0, rows).forEach((s, r) => {
    const y = top + r * ROW_HEIGHT;
    elements.push(swatch(y, s.colour));
    const label = fitted(s.label, size.width - 48);
    elements.push(text(32, y, s.axis === 'right' ? `${label} (right)` : label, 'left', palette.text));
  });
  if (model.series.length > rows) elements.push(moreLine(model, rows, top, palette));
  return elements;
}
