import { compileGlob, type Glob, GlobError } from '../../../../../common/graphite-glob/index.js';
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
      (s.hostGlob === null || hostGlobMatches(s.hostGlob, n.series.hostId) || hostGlobMatches(s.hostGlob, n.hostName)) &&
      (s.plugin === null || s.plugin === n.series.plugin) &&
      (s.field === null || s.field === n.series.field),
  );
}

/**
 * A silence's host glob against a host ID or name: equal to it, or matched by it as a
 * Graphite path-node glob (`*`, `?`, `[a-z]`, `[!a-z]`, `{a,b}`), the language of the rules'
 * hostGlob and of the storage's find queries (common/graphite-glob: an automaton, so no
 * pattern can make a match slow). A stored pattern that is not a glob (`{` unclosed, over the
 * limits: written before globs were checked, or a host ID with such characters) matches only
 * the name it equals.
 */
export function hostGlobMatches(pattern: string, name: string): boolean {
  return pattern === name || (globOf(pattern)?.matches(name) ?? false);
}

/** Why `pattern` is not a host glob a silence can use, or null. */
export function hostGlobProblem(pattern: string): string | null {
  try {
    compileGlob(pattern);
    return null;
  } catch (error) {
    if (error instanceof GlobError) return error.problem;
    throw error;
  }
}

/** Compiled silence globs, by text (few silences, checked for every notification sent). */
const compiled = new Map<string, Glob | null>();
const MAX_COMPILED = 1000;

function globOf(pattern: string): Glob | null {
  let glob = compiled.get(pattern);
  if (glob === undefined) {
    glob = hostGlobProblem(pattern) === null ? compileGlob(pattern) : null;
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(pattern, glob);
  }
  return glob;
}
