import { buildGraph } from './model.js';
import type { DataInput, GraphModel, PluginInfoInput } from './types.js';

/** The parts of `ViewExtendedData` (common/schemas webapp-api) the graph needs. */
export interface ViewInput {
  name: string;
  right_axis: readonly string[];
  warning: number | null;
  critical: number | null;
  infos: { Describ: string; Plugin: string; Title: string; Infos: PluginInfoInput['Infos'] };
  datas: DataInput;
  errors: Record<string, string>;
}

/**
 * Graph of a view: its sources (already merged and aligned by the server, keyed
 * `host - plugin - ds`) drawn like one plugin, with the view's own warning/critical lines,
 * the right axis it asks for, and unreachable sources listed as errors.
 */
export function buildViewGraph(view: ViewInput): GraphModel {
  const info: PluginInfoInput = {
    Plugin: view.infos.Plugin,
    Title: view.infos.Title || view.name,
    Describ: view.infos.Describ,
    Infos: view.infos.Infos,
  };
  const model = buildGraph(info, view.datas, { rightAxis: new Set(view.right_axis) });
  for (const level of ['warning', 'critical'] as const) {
    const value = view[level];
    if (value !== null && Number.isFinite(value)) model.thresholds.push({ field: '', level, value, axis: 'left' });
  }
  for (const [label, message] of Object.entries(view.errors)) model.errors.push(`${label}: ${message}`);
  return model;
}
