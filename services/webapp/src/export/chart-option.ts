import type { GraphModel, GraphSeries } from '../render/types.js';
import { formatValue } from '../render/units.js';

/**
 * GraphModel → ECharts option for the server renderer. Every text here comes from pollers;
 * ECharts' SVG renderer escapes text content and we never build markup ourselves. Stacks use
 * ECharts' own stacking on the signed values, grouped by the model's stack chains.
 */

export type Theme = 'light' | 'dark';
export interface ChartSize {
  width: number;
  height: number;
  theme: Theme;
  /** Event annotations: epoch seconds + short text. */
  events?: readonly { time: number; text: string }[];
}

const COLOURS = {
  light: { background: '#ffffff', text: '#1f2430', muted: '#5c6370', grid: '#e3e6eb', warning: '#e5a50a', critical: '#d62d2d' },
  dark: { background: '#181b21', text: '#e6e8eb', muted: '#9aa1ab', grid: '#2c313a', warning: '#f6c344', critical: '#ff5c5c' },
};

export const FONT_FAMILY = 'DejaVu Sans';
const ROW_HEIGHT = 16;
const MAX_LEGEND_ROWS = 12;

export function legendRows(model: GraphModel, height: number): number {
  // Keep at least 150 px for the plot; the rest of the rows are summarised in one line.
  const room = Math.floor((height - 150 - 30) / ROW_HEIGHT);
  return Math.max(0, Math.min(model.series.length, MAX_LEGEND_ROWS, room));
}

export function chartOption(model: GraphModel, size: ChartSize): Record<string, unknown> {
  const palette = COLOURS[size.theme];
  const rows = legendRows(model, size.height);
  const legendHeight = rows > 0 ? (rows + 1) * ROW_HEIGHT + 8 : 0;
  const hasRight = model.series.some((s) => s.axis === 'right');
  const axis = (position: 'left' | 'right', name: string) => ({
    type: model.logarithmic ? 'log' : 'value',
    position,
    name,
    nameLocation: 'middle',
    nameGap: 52,
    nameTextStyle: { color: palette.muted, fontFamily: FONT_FAMILY },
    min: position === 'left' ? model.lowerLimit : undefined,
    max: position === 'left' ? model.upperLimit : undefined,
    axisLabel: { color: palette.muted, fontFamily: FONT_FAMILY, formatter: (v: number) => formatValue(v, model.base) },
    splitLine: { show: position === 'left', lineStyle: { color: palette.grid } },
  });
  return {
    animation: false,
    backgroundColor: palette.background,
    textStyle: { fontFamily: FONT_FAMILY, color: palette.text },
    title: { text: model.title, left: 'center', top: 6, textStyle: { fontSize: 14, fontFamily: FONT_FAMILY, color: palette.text } },
    grid: { left: 72, right: hasRight ? 72 : 24, top: 36, bottom: 28 + legendHeight },
    xAxis: {
      type: 'time',
      axisLabel: { color: palette.muted, fontFamily: FONT_FAMILY, hideOverlap: true },
      axisLine: { lineStyle: { color: palette.grid } },
      splitLine: { show: false },
    },
    yAxis: hasRight ? [axis('left', model.vlabel), axis('right', '')] : [axis('left', model.vlabel)],
    series: [...model.series.map((s) => seriesOption(model, s)), annotations(model, size, palette)],
    graphic: legendTable(model, rows, size, palette),
  };
}

function stackRoot(model: GraphModel, s: GraphSeries): number | undefined {
  let index: number | undefined = s.stackedOn;
  if (index === undefined)
    return model.series.some((other) => other.stackedOn === model.series.indexOf(s)) ? model.series.indexOf(s) : undefined;
  while (model.series[index].stackedOn !== undefined) index = model.series[index].stackedOn as number;
  return index;
}

function seriesOption(model: GraphModel, s: GraphSeries) {
  const root = stackRoot(model, s);
  const signed = s.mirrored ? s.values.map((v) => (v === null ? null : -v)) : s.values;
  return {
    type: 'line',
    name: s.label,
    yAxisIndex: s.axis === 'right' ? 1 : 0,
    stack: root === undefined ? undefined : `stack${root}`,
    data: model.timestamps.map((t, i) => [t * 1000, signed[i]]),
    showSymbol: false,
    connectNulls: false,
    sampling: 'lttb',
    color: s.colour,
    lineStyle: { width: s.lineWidth, opacity: s.lineWidth === 0 ? 0 : 1 },
    areaStyle: s.kind === 'area' ? { opacity: 0.45 } : undefined,
    silent: true,
  };
}

/** Threshold lines and event markers, on an empty series so they never join a stack. */
function annotations(model: GraphModel, size: ChartSize, palette: (typeof COLOURS)[Theme]) {
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

/** Munin-style table under the plot: colour, label, min, avg, max, last (Baadal's averages table). */
function legendTable(model: GraphModel, rows: number, size: ChartSize, palette: (typeof COLOURS)[Theme]) {
  if (rows === 0) return [];
  const top = size.height - (rows + 1) * ROW_HEIGHT - 6;
  const columns = [size.width - 340, size.width - 260, size.width - 180, size.width - 100];
  const text = (x: number, y: number, value: string, align: 'left' | 'right', colour: string) => ({
    type: 'text',
    x,
    y,
    style: { text: value, fill: colour, font: `11px '${FONT_FAMILY}'`, textAlign: align, textVerticalAlign: 'top' },
    silent: true,
  });
  const elements: Record<string, unknown>[] = ['min', 'avg', 'max', 'last'].map((h, i) =>
    text(columns[i] + 60, top, h, 'right', palette.muted),
  );
  const labelRoom = Math.max(8, Math.floor((columns[0] - 40) / 7));
  model.series.slice(0, rows).forEach((s, r) => {
    const y = top + (r + 1) * ROW_HEIGHT;
    elements.push({ type: 'rect', shape: { x: 16, y: y + 2, width: 10, height: 10 }, style: { fill: s.colour }, silent: true });
    const label = s.label.length > labelRoom ? `${s.label.slice(0, labelRoom - 1)}…` : s.label;
    elements.push(text(32, y, s.mirrored ? `${label} (-)` : label, 'left', palette.text));
    [s.stats.min, s.stats.avg, s.stats.max, s.stats.last].forEach((v, i) => {
      elements.push(text(columns[i] + 60, y, formatValue(v, model.base), 'right', palette.text));
    });
  });
  if (model.series.length > rows) {
    elements.push(text(32, top + (rows + 1) * ROW_HEIGHT - 2, `… ${model.series.length - rows} more series`, 'left', palette.muted));
  }
  return elements;
}
