import type { AlertNotification } from '../../../../../common/schemas/src/alerts.js';

/** An `alert_silences` row in force: NULL columns match anything. */
export interface ActiveSilence {
  id: number;
  ruleKey: string | null;
  hostGlob: string | null;
  plugin: string | null;
  field: string | null;
}

/** The first silence covering the notification's rule and series, if any (checked at send time). */
export function matchingSilence(n: AlertNotification, silences: readonly ActiveSilence[]): ActiveSilence | undefined {
  return silences.find(
    (s) =>
      (s.ruleKey === null || s.ruleKey === n.ruleKey) &&
      (s.hostGlob === null || wildcardMatch(s.hostGlob, n.series.hostId) || wildcardMatch(s.hostGlob, n.hostName)) &&
      (s.plugin === null || s.plugin === n.series.plugin) &&
      (s.field === null || s.field === n.series.field),
  );
}

/**
 * `*` (any run, `.` included) and `?` (one character), every other character literal. The
 * greedy two-pointer walk with one remembered star costs at most pattern × text steps, so
 * a pattern full of stars cannot take long (a regular expression could backtrack).
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === text[t]))) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}
