import type { GraphModel } from '../render/types.js';

/**
 * CSV and JSON exports of a graph: the values munin shows (after cdef and min/max, before
 * stacking or mirroring), one row per timestamp. Labels are quoted for CSV and neutralised
 * against spreadsheet formula injection (a leading = + - @ TAB CR gets a quote).
 */

export function toCsv(model: GraphModel): string {
  const header = ['timestamp', 'time', ...model.series.map((s) => s.label)];
  const lines = [header.map(csvCell).join(',')];
  model.timestamps.forEach((t, i) => {
    const row = [
      String(t),
      new Date(t * 1000).toISOString(),
      ...model.series.map((s) => (s.values[i] === null ? '' : String(s.values[i]))),
    ];
    lines.push(row.map(csvCell).join(','));
  });
  return `${lines.join('\r\n')}\r\n`;
}

/** A number as we write it (`-1.5`, `2e-7`): the only cells that may start with `-`. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** Spreadsheets run a cell starting with = + - @ TAB or CR as a formula, unless it is a plain number. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export interface JsonExport {
  title: string;
  vlabel: string;
  base: number;
  start: number;
  step: number;
  timestamps: number[];
  series: {
    field: string;
    label: string;
    colour: string;
    draw: string;
    axis: string;
    values: (number | null)[];
    stats: GraphModel['series'][number]['stats'];
  }[];
  thresholds: GraphModel['thresholds'];
  errors: string[];
}

export function toJson(model: GraphModel): JsonExport {
  return {
    title: model.title,
    vlabel: model.vlabel,
    base: model.base,
    start: model.timestamps[0] ?? 0,
    step: model.step,
    timestamps: model.timestamps,
    series: model.series.map((s) => ({
      field: s.field,
      label: s.label,
      colour: s.colour,
      draw: `${s.kind}${s.stacked ? '-stack' : ''}${s.mirrored ? '-negative' : ''}`,
      axis: s.axis,
      values: s.values,
      stats: s.stats,
    })),
    thresholds: model.thresholds,
    errors: model.errors,
  };
}
