import { api, el } from './api.js';

/**
 * Alert states on graphs: `/rest/alerts/states` for one card (a plugin of a host, or a view),
 * reduced to what the chart draws: each series' worst state (legend) and the state that colours
 * each threshold line (munin's for a field's own warning/critical, the view rule's for a view's).
 * Shapes written structurally (the browser build has no zod); `GraphAlertStates` in
 * common/schemas/src/alerts-api.ts is the definition, checked by the REST tests.
 */
export type AlertState = 'OK' | 'UNKNOWN' | 'WARNING' | 'CRITICAL';
const ORDER: readonly AlertState[] = ['OK', 'UNKNOWN', 'WARNING', 'CRITICAL'];

export interface GraphAlertState {
  label: string;
  rule_key: string;
  rule_name: string;
  state: AlertState;
  since: string;
  reason: string;
}

export interface SeriesAlert {
  state: AlertState;
  /** Every rule's state of the series, for the legend's tooltip. */
  rules: GraphAlertState[];
}

export interface GraphAlerts {
  series: Map<string, SeriesAlert>;
  /** Threshold line key (the series label, or '' for a view's own lines) → the state colouring it. */
  thresholds: Map<string, AlertState>;
}

export function worse(a: AlertState, b: AlertState): AlertState {
  return ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b;
}

export function reduceStates(states: readonly GraphAlertState[]): GraphAlerts {
  const series = new Map<string, SeriesAlert>();
  const thresholds = new Map<string, AlertState>();
  for (const s of states) {
    const one = series.get(s.label) ?? { state: 'OK', rules: [] };
    one.state = worse(one.state, s.state);
    one.rules.push(s);
    series.set(s.label, one);
    if (s.rule_key === 'munin') thresholds.set(s.label, s.state);
    if (s.rule_key.startsWith('view:')) thresholds.set('', worse(thresholds.get('') ?? 'OK', s.state));
  }
  return { series, thresholds };
}

/** The card's states; a failure leaves the graph as it is (states are an extra, never a reason to fail a graph). */
export async function loadGraphAlerts(card: HTMLElement): Promise<GraphAlerts | null> {
  const q =
    card.dataset.kind === 'plugin'
      ? new URLSearchParams({ host: card.dataset.host ?? '', plugin: card.dataset.plugin ?? '' })
      : new URLSearchParams({ view: card.dataset.view ?? '' });
  try {
    return reduceStates((await api<{ results: GraphAlertState[] }>('GET', `/rest/alerts/states?${q}`)).results);
  } catch {
    return null;
  }
}

/** A state badge: text in a span whose class gives the colour. */
export function stateBadge(state: AlertState): HTMLElement {
  return el('span', state, `state state-${state.toLowerCase()}`);
}
