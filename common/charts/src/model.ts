/**
 * What the server-side chart renderer draws, shared by the webapp's exports (built from munin
 * plugin graphs) and the storage's `/render?format=png` (built from Graphite series). Every
 * text in it comes from outside (pollers, targets, query parameters): the renderer only ever
 * hands it to ECharts as text, which escapes it. Colours must be `#RRGGBB` (checked by the
 * builders; the renderer falls back to grey for anything else).
 */
export type Base = 1000 | 1024;

export interface ChartStats {
  min: number | null;
  avg: number | null;
  max: number | null;
  last: number | null;
}

export interface ChartSeries {
  label: string;
  /** `#RRGGBB`. */
  colour: string;
  kind: 'line' | 'area';
  /** Pixels; 0 draws no line (the series stays in the legend). */
  lineWidth: number;
  /** Drawn below zero (munin's `negative` pair). */
  mirrored: boolean;
  axis: 'left' | 'right';
  /** One value per model timestamp, null = unknown. */
  values: (number | null)[];
  /** Index in `series` of the series this one is stacked on (the renderer adds them up). */
  stackedOn?: number;
  /** Values already cumulative (Graphite's stacked series): filled areas, earlier series drawn on top. */
  precomputedStack?: boolean;
  /** Dash length in pixels; absent: a solid line. */
  dashed?: number;
  stats: ChartStats;
}

export interface ChartThreshold {
  level: 'warning' | 'critical';
  value: number;
  axis: 'left' | 'right';
}

/** Colours overriding the theme's (Graphite's bgcolor / fgcolor), `#RRGGBB`. */
export interface ChartPalette {
  background: string;
  text: string;
  muted: string;
  grid: string;
}

export interface ChartModel {
  title: string;
  vlabel: string;
  /** Title of the right-hand axis, when some series use it. */
  vlabelRight?: string;
  base: Base;
  /** Epoch seconds of each point. */
  timestamps: number[];
  step: number;
  series: ChartSeries[];
  thresholds: ChartThreshold[];
  lowerLimit?: number;
  upperLimit?: number;
  logarithmic: boolean;
  /** `table` (default): colour, name, min/avg/max/last; `names`: colour and name only; `none`. */
  legend?: 'table' | 'names' | 'none';
  palette?: Partial<ChartPalette>;
  /** Fill opacity of areas (0..1); default 0.45 for areas, 1 for precomputed stacks. */
  areaOpacity?: number;
}

export type Theme = 'light' | 'dark';

export interface ChartSize {
  width: number;
  height: number;
  theme: Theme;
  /** Event annotations: epoch seconds + short text. */
  events?: readonly { time: number; text: string }[];
}

/**
 * Only the fields the renderer reads, so what is posted to a worker thread is the chart and
 * nothing else a caller's richer model carries (the webapp's plotted copies, infos...).
 */
export function chartOnly(model: ChartModel): ChartModel {
  return {
    title: model.title,
    vlabel: model.vlabel,
    vlabelRight: model.vlabelRight,
    base: model.base,
    timestamps: model.timestamps,
    step: model.step,
    series: model.series.map((s) => ({
      label: s.label,
      colour: s.colour,
      kind: s.kind,
      lineWidth: s.lineWidth,
      mirrored: s.mirrored,
      axis: s.axis,
      values: s.values,
      stackedOn: s.stackedOn,
      precomputedStack: s.precomputedStack,
      dashed: s.dashed,
      stats: s.stats,
    })),
    thresholds: model.thresholds.map((t) => ({ level: t.level, value: t.value, axis: t.axis })),
    lowerLimit: model.lowerLimit,
    upperLimit: model.upperLimit,
    logarithmic: model.logarithmic,
    legend: model.legend,
    palette: model.palette,
    areaOpacity: model.areaOpacity,
  };
}
