import { applyCdef, compileCdef } from './cdef.js';
import { fieldColour } from './palette.js';
import { type MuninRange, parseMuninRange } from './ranges.js';
import { seriesStats } from './stats.js';
import type { DataInput, GraphModel, GraphOptions, GraphSeries, PluginInfoInput, Threshold } from './types.js';
import { parseBase } from './units.js';

/**
 * Build the drawable graph of one plugin (or view) from its munin attributes and its data.
 * Pure and shared by the browser (uPlot) and the server (ECharts SSR → PNG), so both draw the
 * same thing. Never throws on bad attributes: problems land in `errors`.
 */
export function buildGraph(info: PluginInfoInput, data: DataInput, options: GraphOptions = {}): GraphModel {
  const errors: string[] = [];
  const infos = info.Infos;
  const fieldNames = Object.keys(infos);
  const length = Math.max(0, ...Object.values(data.DATAS).map((v) => v.length));
  const timestamps = Array.from({ length }, (_, i) => data.TS_start + i * data.TS_step);
  const raw = rawSeries(infos, data, length);
  const computed = computeCdefs(infos, raw, length, timestamps, errors);

  const mirroredBy = new Map<string, string>();
  for (const field of fieldNames) {
    const negative = infos[field].negative?.trim();
    if (!negative) continue;
    if (Object.hasOwn(infos, negative) && negative !== field) mirroredBy.set(negative, field);
    else errors.push(`field "${field}": negative names unknown field "${negative}"`);
  }

  const series: GraphSeries[] = [];
  const colourOf = new Map<string, string>();
  const previous: Record<'up' | 'down', number | undefined> = { up: undefined, down: undefined };
  // Running stack tops per series: an unknown point adds nothing, so what sits above stays drawn.
  const tops: (number | null)[][] = [];
  const graphArgs = info.Graph?.args ?? '';
  for (const field of displayOrder(info.Order ?? '', fieldNames)) {
    const attrs = infos[field];
    const partner = mirroredBy.get(field);
    const mirrored = partner !== undefined;
    if (!mirrored && attrs.graph?.trim().toLowerCase() === 'no') continue;
    // A mirrored field draws with its partner's colour and style (munin's in/out pairs).
    const style = mirrored ? infos[partner] : attrs;
    const colour = mirrored && colourOf.has(partner) ? (colourOf.get(partner) as string) : fieldColour(style.colour, colourOf.size);
    if (!mirrored) colourOf.set(field, colour);
    const draw = parseDraw(style.draw, field, errors);
    const group = mirrored ? 'down' : 'up';
    const below = draw.stacked ? previous[group] : undefined;
    const values = computed.get(field) ?? new Array(length).fill(null);
    const signed = mirrored ? values.map((v) => (v === null ? null : -v)) : values;
    const top = below === undefined ? signed : stackOn(tops[below], signed);
    const plotted = below === undefined ? signed : top.map((v, i) => (signed[i] === null ? null : v));
    const kind = draw.stacked && draw.kind === 'inherit' ? (below === undefined ? 'area' : series[below].kind) : draw.kind;
    const one: GraphSeries = {
      field,
      label: attrs.label?.trim() || field,
      colour,
      kind: kind === 'inherit' ? 'line' : kind,
      lineWidth: draw.lineWidth,
      stacked: draw.stacked,
      mirrored,
      axis: options.rightAxis?.has(field) ? 'right' : 'left',
      values,
      plotted,
      info: attrs.info ?? '',
      stats: seriesStats(values),
    };
    if (partner !== undefined) one.pairedWith = partner;
    if (below !== undefined) one.stackedOn = below;
    const warning = range(attrs.warning, field, 'warning', errors);
    const critical = range(attrs.critical, field, 'critical', errors);
    if (warning) one.warning = warning;
    if (critical) one.critical = critical;
    previous[group] = series.length;
    tops.push(top);
    series.push(one);
  }
  const total = info.Graph?.total?.trim();
  if (total) series.push(totalSeries(total, series, length));

  const model: GraphModel = {
    plugin: info.Plugin,
    title: info.Title?.trim() || info.Plugin,
    vlabel: (info.Vlabel ?? '').replaceAll('${graph_period}', info.Graph?.period?.trim() || 'second'),
    category: info.Category ?? 'other',
    info: info.Describ ?? '',
    base: parseBase(info.Base, graphArgs),
    timestamps,
    step: data.TS_step,
    series,
    thresholds: thresholdsOf(series),
    logarithmic: /(^|\s)(--logarithmic|-o)(\s|$)/.test(graphArgs),
    errors,
  };
  const lower = numericArg(graphArgs, ['--lower-limit', '-l']);
  const upper = numericArg(graphArgs, ['--upper-limit', '-u']);
  if (lower !== undefined) model.lowerLimit = lower;
  if (upper !== undefined) model.upperLimit = upper;
  return model;
}

/** `graph_order` first (munin allows `name=source` borrowing: the local name is kept), then the rest. */
export function displayOrder(order: string, fields: readonly string[]): string[] {
  const known = new Set(fields);
  const ordered: string[] = [];
  for (const entry of order.split(/\s+/)) {
    const name = entry.split('=')[0];
    if (name && known.has(name) && !ordered.includes(name)) ordered.push(name);
  }
  for (const field of fields) if (!ordered.includes(field)) ordered.push(field);
  return ordered;
}

interface Draw {
  kind: 'line' | 'area' | 'inherit';
  lineWidth: number;
  stacked: boolean;
}

/** LINE0-3, LINE, AREA, STACK, AREASTACK, LINESTACK, LINE[n]STACK (munin default LINE1... but 2 reads better). */
export function parseDraw(text: string | undefined, field: string, errors: string[]): Draw {
  const draw = (text ?? 'LINE1').trim().toUpperCase() || 'LINE1';
  if (draw === 'AREA') return { kind: 'area', lineWidth: 1, stacked: false };
  if (draw === 'STACK') return { kind: 'inherit', lineWidth: 1, stacked: true };
  if (draw === 'AREASTACK') return { kind: 'area', lineWidth: 1, stacked: true };
  const line = /^LINE(\d?)(STACK)?$/.exec(draw);
  if (line) {
    const width = line[1] === '' ? 1 : Math.min(Number(line[1]), 3);
    return { kind: 'line', lineWidth: width, stacked: line[2] === 'STACK' };
  }
  errors.push(`field "${field}": unknown draw "${draw}", drawn as LINE1`);
  return { kind: 'line', lineWidth: 1, stacked: false };
}

function rawSeries(infos: PluginInfoInput['Infos'], data: DataInput, length: number) {
  const raw = new Map<string, (number | null)[]>();
  for (const field of Object.keys(infos)) {
    const values = data.DATAS[field] ?? [];
    const min = optionalNumber(infos[field].min);
    const max = optionalNumber(infos[field].max);
    const out: (number | null)[] = new Array(length);
    for (let i = 0; i < length; i++) {
      const v = values[i];
      // Like RRD, values outside the field's min/max are unknown.
      const valid = typeof v === 'number' && Number.isFinite(v) && !(min !== undefined && v < min) && !(max !== undefined && v > max);
      out[i] = valid ? v : null;
    }
    raw.set(field, out);
  }
  return raw;
}

function computeCdefs(
  infos: PluginInfoInput['Infos'],
  raw: Map<string, (number | null)[]>,
  length: number,
  timestamps: number[],
  errors: string[],
) {
  const known = new Set(raw.keys());
  const computed = new Map(raw);
  for (const [field, attrs] of Object.entries(infos)) {
    if (attrs.cdef === undefined) continue;
    try {
      const cdef = compileCdef(attrs.cdef, known);
      computed.set(
        field,
        applyCdef(cdef, raw, length, (i) => timestamps[i]),
      );
    } catch (error) {
      errors.push(`field "${field}": ${(error as Error).message}`);
      computed.set(field, new Array(length).fill(null));
    }
  }
  return computed;
}

function stackOn(below: readonly (number | null)[], values: readonly (number | null)[]) {
  return values.map((v, i) => (below[i] ?? 0) + (v ?? 0));
}

function totalSeries(label: string, series: readonly GraphSeries[], length: number): GraphSeries {
  const values: (number | null)[] = new Array(length).fill(null);
  for (const s of series) {
    if (s.mirrored) continue;
    s.values.forEach((v, i) => {
      if (v !== null) values[i] = (values[i] ?? 0) + v;
    });
  }
  return {
    field: '__total__',
    label,
    colour: '#000000',
    kind: 'line',
    lineWidth: 0,
    stacked: false,
    mirrored: false,
    axis: 'left',
    values,
    plotted: values,
    info: '',
    stats: seriesStats(values),
  };
}

function thresholdsOf(series: readonly GraphSeries[]): Threshold[] {
  const out: Threshold[] = [];
  const seen = new Set<string>();
  for (const s of series) {
    for (const level of ['warning', 'critical'] as const) {
      const r = s[level];
      if (!r) continue;
      for (const bound of [r.min, r.max]) {
        if (bound === undefined) continue;
        const value = s.mirrored ? -bound : bound;
        const key = `${level}:${value}:${s.axis}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ field: s.field, level, value, axis: s.axis });
      }
    }
  }
  return out;
}

function range(text: string | undefined, field: string, level: string, errors: string[]): MuninRange | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return parseMuninRange(text);
  } catch (error) {
    errors.push(`field "${field}" ${level}: ${(error as Error).message}`);
    return undefined;
  }
}

function optionalNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function numericArg(args: string, names: string[]): number | undefined {
  const words = args.split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    const [flag, inline] = words[i].split('=');
    if (!names.includes(flag)) continue;
    const n = Number(inline ?? words[i + 1]);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}
