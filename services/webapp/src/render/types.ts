import type { MuninRange } from './ranges.js';
import type { SeriesStats } from './stats.js';
import type { Base } from './units.js';

/**
 * Inputs of the graph model, written structurally so the browser build needs no runtime schema
 * code: `LegacyPluginInfo` and `DataResponse` of `common/schemas` satisfy them (checked in tests).
 */
export interface PluginInfoInput {
  Plugin: string;
  Title: string;
  Describ?: string;
  Vlabel?: string;
  Base?: string;
  Order?: string;
  Category?: string;
  Graph?: Record<string, string>;
  Infos: Record<string, Record<string, string>>;
}

export interface DataInput {
  TS_start: number;
  TS_step: number;
  DATAS: Record<string, readonly (number | null)[]>;
}

export interface GraphSeries {
  /** Munin field (data source) name. */
  field: string;
  label: string;
  /** `#RRGGBB`, validated. */
  colour: string;
  kind: 'line' | 'area';
  /** LINE0 → 0 (invisible but listed), LINE1 → 1, LINE2 → 2, LINE3 → 3; areas 1. */
  lineWidth: number;
  stacked: boolean;
  /** The field named by another field's `negative`: drawn below zero. */
  mirrored: boolean;
  /** For a mirrored series, the field whose `negative` names it. */
  pairedWith?: string;
  axis: 'left' | 'right';
  /** Values as munin reports them (after min/max and cdef), null = unknown. */
  values: (number | null)[];
  /** What to draw: negated when mirrored, cumulative when stacked. */
  plotted: (number | null)[];
  /** Index in `series` of the element this one is drawn on (stacks), for band fills. */
  stackedOn?: number;
  info: string;
  stats: SeriesStats;
  warning?: MuninRange;
  critical?: MuninRange;
}

export interface Threshold {
  field: string;
  level: 'warning' | 'critical';
  /** Value on the drawn scale (negated for mirrored series). */
  value: number;
  axis: 'left' | 'right';
}

export interface GraphModel {
  plugin: string;
  title: string;
  vlabel: string;
  category: string;
  info: string;
  base: Base;
  /** Epoch seconds of each point. */
  timestamps: number[];
  step: number;
  series: GraphSeries[];
  thresholds: Threshold[];
  lowerLimit?: number;
  upperLimit?: number;
  logarithmic: boolean;
  /** Problems with the plugin's attributes (bad cdef, bad range...): shown, never fatal. */
  errors: string[];
}

export interface GraphOptions {
  /** Fields drawn against a second, right-hand y-axis (views that ask for it). */
  rightAxis?: ReadonlySet<string>;
}
