import { hostGlobMatches } from '../alerting/delivery/silences.js';
import type { AlertStateRow, Silence } from '../repos/index.js';

/**
 * Which active silences cover a state, to show it on the Problems page. The rule is the
 * dispatcher's (alerting/delivery/silences.ts), which decides at send time: every set column
 * must match (NULL = any), the host glob (a Graphite glob, or the exact name) against the host ID or the host's name.
 */
export function silenceCovers(s: Silence, state: Pick<AlertStateRow, 'ruleKey' | 'hostid' | 'hostName' | 'plugin' | 'field'>): boolean {
  return (
    (s.ruleKey === null || s.ruleKey === state.ruleKey) &&
    (s.hostGlob === null || hostGlobMatches(s.hostGlob, state.hostid) || hostGlobMatches(s.hostGlob, state.hostName)) &&
    (s.plugin === null || s.plugin === state.plugin) &&
    (s.field === null || s.field === state.field)
  );
}
