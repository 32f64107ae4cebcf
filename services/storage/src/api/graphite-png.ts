import type { Request } from 'express';
import {
  ChartError,
  type ChartModel,
  type ChartSeries,
  checkPngCost,
  downsampleToWidth,
  PNG_LIMITS,
  PngBusyError,
  PngLimitError,
  type PngRenderPool,
  SIZE_LIMITS,
} from '../../../../common/charts/index.js';
import { lcm } from '../query/normalize.js';
import type { Series } from '../query/series.js';
import { ApiError, BadParameterError, LimitExceededError, quote } from './errors.js';
import { optionalParam } from './params.js';

/**
 * `/render?format=png`: the evaluated series drawn by the shared chart renderer
 * (common/charts: ECharts SSR + resvg in the bounded worker pool), with graphite-web's graph
 * parameters (render/glyph.py): width/height (330 × 250), title, vtitle, vtitleRight, yMin,
 * yMax, lineWidth (1.2), areaMode (none, first, all, stacked), areaAlpha, hideLegend (shown up
 * to 10 series when unset), colorList, bgcolor (white), fgcolor (black), yUnitSystem, logBase,
 * and the display functions' options on each series (color, lineWidth, dashed, stacked,
 * secondYAxis). Limits are the webapp's: size and series count 400 naming them, the pool's
 * concurrency, queue and time 503.
 */
const DEFAULT_COLORS = 'blue,green,red,purple,brown,yellow,aqua,grey,magenta,pink,gold,rose';
const AREA_MODES = ['none', 'first', 'all', 'stacked'] as const;
/** graphite-web's settings.LEGEND_MAX_ITEMS: an unset hideLegend hides the legend above this. */
const LEGEND_MAX_ITEMS = 10;

/** glyph.py's colorAliases (graphite's blue is not CSS's). */
const COLOR_ALIASES: Record<string, [number, number, number]> = {
  black: [0, 0, 0],
  white: [255, 255, 255],
  blue: [100, 100, 255],
  green: [0, 200, 0],
  red: [200, 0, 50],
  yellow: [255, 255, 0],
  orange: [255, 165, 0],
  purple: [200, 100, 255],
  brown: [150, 100, 50],
  cyan: [0, 255, 255],
  aqua: [0, 150, 150],
  gray: [175, 175, 175],
  grey: [175, 175, 175],
  magenta: [255, 0, 255],
  pink: [255, 100, 100],
  gold: [200, 200, 0],
  rose: [200, 150, 200],
  darkblue: [0, 0, 255],
  darkgreen: [0, 255, 0],
  darkred: [255, 0, 0],
  darkgray: [111, 111, 111],
  darkgrey: [111, 111, 111],
};

/** A graphite colour (alias, `RRGGBB`, `#RRGGBB`, `RRGGBBAA`; alpha ignored) as `#rrggbb`; 400 naming `parameter` otherwise. */
export function graphiteColor(value: string, parameter: string): string {
  const text = value.trim().toLowerCase();
  const alias = Object.hasOwn(COLOR_ALIASES, text) ? COLOR_ALIASES[text] : undefined;
  if (alias) return `#${alias.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
  const hex = /^(?:#|%23)?([0-9a-f]{6})(?:[0-9a-f]{2})?$/.exec(text);
  if (hex) return `#${hex[1]}`;
  throw new BadParameterError(parameter, `${parameter}: ${quote(value)} is not a colour (a name such as blue, or RRGGBB)`);
}

export interface PngParams {
  width: number;
  height: number;
  model: Omit<ChartModel, 'timestamps' | 'step' | 'series'>;
  lineWidth: number;
  areaMode: (typeof AREA_MODES)[number];
  hideLegend: boolean | undefined;
  colors: string[];
}

/** The graph parameters, checked before any series is read. */
export function pngParams(req: Request): PngParams {
  const width = sizeParam(req, 'width', 330, SIZE_LIMITS.minWidth, SIZE_LIMITS.maxWidth);
  const height = sizeParam(req, 'height', 250, SIZE_LIMITS.minHeight, SIZE_LIMITS.maxHeight);
  const areaMode = optionalParam(req, 'areaMode') ?? 'none';
  if (!(AREA_MODES as readonly string[]).includes(areaMode))
    throw new BadParameterError('areaMode', `areaMode must be one of ${AREA_MODES.join(', ')}, got ${quote(areaMode)}`);
  const areaAlpha = numberParam(req, 'areaAlpha');
  if (areaAlpha !== undefined && (areaAlpha < 0 || areaAlpha > 1))
    throw new BadParameterError('areaAlpha', `areaAlpha must be from 0 to 1, got ${areaAlpha}`);
  const lineWidth = numberParam(req, 'lineWidth') ?? numberParam(req, 'thickness') ?? 1.2;
  if (lineWidth < 0 || lineWidth > 50) throw new BadParameterError('lineWidth', `lineWidth must be from 0 to 50, got ${lineWidth}`);
  const colors = (optionalParam(req, 'colorList') || DEFAULT_COLORS).split(',').map((c) => graphiteColor(c, 'colorList'));
  const bg = optionalParam(req, 'bgcolor');
  const fg = optionalParam(req, 'fgcolor');
  const text = fg ? graphiteColor(fg, 'fgcolor') : '#000000';
  const logBase = optionalParam(req, 'logBase');
  return {
    width,
    height,
    lineWidth,
    areaMode: areaMode as PngParams['areaMode'],
    hideLegend: booleanParam(req, 'hideLegend'),
    colors,
    model: {
      title: optionalParam(req, 'title') ?? '',
      vlabel: optionalParam(req, 'vtitle') ?? '',
      vlabelRight: optionalParam(req, 'vtitleRight') ?? '',
      base: (optionalParam(req, 'yUnitSystem') ?? '').toLowerCase() === 'binary' ? 1024 : 1000,
      thresholds: [],
      lowerLimit: numberParam(req, 'yMin') ?? numberParam(req, 'min'),
      upperLimit: numberParam(req, 'yMax') ?? numberParam(req, 'max'),
      logarithmic: logBase !== undefined && logBase !== '',
      palette: { background: bg ? graphiteColor(bg, 'bgcolor') : '#ffffff', text, muted: text },
      areaOpacity: areaAlpha,
    },
  };
}

/** The PNG of the evaluated series: limits checked before anything is drawn, the drawing in the pool. */
export async function renderGraphitePng(pool: PngRenderPool, list: Series[], params: PngParams): Promise<Buffer> {
  try {
    const model = chartModel(list, params);
    checkPngCost(model, params.width, params.height, 'target');
    return await pool.render(downsampleToWidth(model, params.width), { width: params.width, height: params.height, theme: 'light' });
  } catch (error) {
    throw asApiError(error);
  }
}

function asApiError(error: unknown): unknown {
  if (error instanceof PngLimitError) return new LimitExceededError(error.limit, error.message, error.field);
  if (error instanceof PngBusyError) return new ApiError(503, error.message, undefined, { cause: error });
  if (error instanceof ChartError && error.status === 503) return new ApiError(503, error.message, undefined, { cause: error });
  return error;
}

/** The series on one time grid (the least common multiple of their steps, bucket averages), coloured and stacked as glyph.py does. */
export function chartModel(list: Series[], params: PngParams): ChartModel {
  // The count limit comes before the grid is built: 1,000 series are never laid out to be refused.
  if (list.length > PNG_LIMITS.maxSeries) return { ...params.model, timestamps: [], step: 1, series: list.map(() => emptySeries()) };
  const step = list.length ? list.map((s) => s.step).reduce(lcm) : 1;
  const start = list.length ? Math.min(...list.map((s) => s.start - (s.start % step))) : 0;
  const end = list.length ? Math.max(...list.map((s) => s.end)) : 0;
  const count = Math.max(0, Math.ceil((end - start) / step));
  const timestamps = Array.from({ length: count }, (_, i) => start + i * step);
  const stackedMode = params.areaMode === 'stacked';
  const total: number[] = new Array(count).fill(0);
  const series = list.map((s, i): ChartSeries => {
    let values = onGrid(s, start, step, count);
    const right = s.options.secondYAxis === true;
    const stacked = s.options.stacked === true || (stackedMode && !right);
    if (stackedMode && !right) values = addToStack(values, total);
    return {
      label: s.name,
      colour: typeof s.options.color === 'string' ? graphiteColor(s.options.color, 'color') : params.colors[i % params.colors.length],
      kind: params.areaMode === 'all' || (params.areaMode === 'first' && i === 0) ? 'area' : 'line',
      lineWidth: typeof s.options.lineWidth === 'number' ? s.options.lineWidth : params.lineWidth,
      mirrored: false,
      axis: right ? 'right' : 'left',
      values,
      precomputedStack: stacked,
      dashed: typeof s.options.dashed === 'number' ? s.options.dashed : undefined,
      stats: stats(values),
    };
  });
  const showLegend = params.hideLegend === undefined ? list.length <= LEGEND_MAX_ITEMS : !params.hideLegend;
  return { ...params.model, timestamps, step, series, legend: showLegend ? 'names' : 'none' };
}

/** glyph.py's areaMode=stacked: each known value plus the running total before it (nulls stay null, add nothing). */
function addToStack(values: (number | null)[], total: number[]): (number | null)[] {
  return values.map((v, t) => {
    if (v === null) return null;
    total[t] += v;
    return total[t];
  });
}

/** A series' consolidated points averaged into the grid's buckets (bucket of t: (t - start) / step). */
function onGrid(s: Series, start: number, step: number, count: number): (number | null)[] {
  const sums = new Float64Array(count);
  const counts = new Uint32Array(count);
  const points = s.points();
  const width = s.step * s.valuesPerPoint;
  for (let i = 0; i < points.length; i++) {
    const v = points[i];
    if (v === null || !Number.isFinite(v)) continue;
    const bucket = Math.floor((s.start + i * width - start) / step);
    if (bucket < 0 || bucket >= count) continue;
    sums[bucket] += v;
    counts[bucket]++;
  }
  return Array.from(sums, (sum, i) => (counts[i] ? sum / counts[i] : null));
}

function stats(values: (number | null)[]): ChartSeries['stats'] {
  let min: number | null = null;
  let max: number | null = null;
  let sum = 0;
  let n = 0;
  let last: number | null = null;
  for (const v of values) {
    if (v === null) continue;
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
    sum += v;
    n++;
    last = v;
  }
  return { min, max, avg: n ? sum / n : null, last };
}

function emptySeries(): ChartSeries {
  return {
    label: '',
    colour: '#000000',
    kind: 'line',
    lineWidth: 1,
    mirrored: false,
    axis: 'left',
    values: [],
    stats: { min: null, max: null, avg: null, last: null },
  };
}

function sizeParam(req: Request, name: string, fallback: number, min: number, max: number): number {
  const text = optionalParam(req, name);
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new BadParameterError(name, `${name} must be a whole number of pixels from ${min} to ${max}, got ${quote(text)}`);
  return value;
}

function numberParam(req: Request, name: string): number | undefined {
  const text = optionalParam(req, name);
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new BadParameterError(name, `${name} must be a number, got ${quote(text)}`);
  return value;
}

function booleanParam(req: Request, name: string): boolean | undefined {
  const text = optionalParam(req, name)?.toLowerCase();
  if (text === undefined || text === '') return undefined;
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new BadParameterError(name, `${name} must be true or false, got ${quote(text)}`);
}
