import type { AlertSeries, RuleKey } from '../../../../../common/schemas/index.js';
import type { Glob } from './glob.js';
import type { CompiledRule } from './rules.js';

/** `host\0plugin\0field`: names are safe names, so \0 cannot occur in them. */
export function seriesId(hostId: string, plugin: string, field: string): string {
  return `${hostId}\0${plugin}\0${field}`;
}

export interface PatternRule {
  rule: CompiledRule;
  host: Glob;
  plugin: Glob;
  field: Glob;
}

/** Every rule but the munin ones, as the store loads them. */
export interface RuleSet {
  /** User rules on one source, and view rules: by series id. */
  exact: Map<string, CompiledRule[]>;
  patterns: PatternRule[];
  /** The series each exact rule names, to watch for no data before they send anything. */
  exactSeries: Array<{ rule: CompiledRule; series: AlertSeries }>;
}

/** Series whose answer is cached at most; past this the cache starts over (memory stays bounded). */
const MAX_CACHED_SERIES = 1_000_000;

/**
 * Which rules apply to a series: the field's munin thresholds, exact rules (a source, a
 * view's series) by map lookup, and pattern rules matched once per series and cached. So
 * the cost per point is one map lookup whatever the number of rules.
 */
export class RuleIndex {
  private munin = new Map<string, CompiledRule>();
  private rules: RuleSet = { exact: new Map(), patterns: [], exactSeries: [] };
  private readonly cache = new Map<string, CompiledRule[]>();
  private byKey = new Map<RuleKey, CompiledRule>();

  rulesFor(hostId: string, plugin: string, field: string): CompiledRule[] {
    const id = seriesId(hostId, plugin, field);
    let found = this.cache.get(id);
    if (found === undefined) {
      found = this.resolve(id, hostId, plugin, field);
      if (this.cache.size >= MAX_CACHED_SERIES) this.cache.clear();
      this.cache.set(id, found);
    }
    return found;
  }

  /** The rule a state belongs to, or undefined when it no longer exists. */
  ruleOf(key: RuleKey, series: AlertSeries): CompiledRule | undefined {
    if (key === 'munin') return this.munin.get(seriesId(series.hostId, series.plugin, series.field));
    const rule = this.byKey.get(key);
    if (!rule) return undefined;
    // A rule may still exist but no longer cover the series (a view lost a source, a pattern changed).
    return this.rulesFor(series.hostId, series.plugin, series.field).includes(rule) ? rule : undefined;
  }

  setMunin(series: AlertSeries, rule: CompiledRule | null): void {
    const id = seriesId(series.hostId, series.plugin, series.field);
    if (rule) this.munin.set(id, rule);
    else this.munin.delete(id);
    this.cache.delete(id);
  }

  muninSeries(): AlertSeries[] {
    return [...this.munin.keys()].map(parseSeriesId);
  }

  replaceRules(rules: RuleSet): void {
    this.rules = rules;
    this.byKey = new Map();
    for (const list of rules.exact.values()) for (const rule of list) this.byKey.set(rule.key, rule);
    for (const { rule } of rules.patterns) this.byKey.set(rule.key, rule);
    this.cache.clear();
  }

  exactSeries(): ReadonlyArray<{ rule: CompiledRule; series: AlertSeries }> {
    return this.rules.exactSeries;
  }

  stats(): Record<string, number> {
    return {
      muninSeries: this.munin.size,
      exactSeries: this.rules.exact.size,
      patternRules: this.rules.patterns.length,
      cachedSeries: this.cache.size,
    };
  }

  private resolve(id: string, hostId: string, plugin: string, field: string): CompiledRule[] {
    const out: CompiledRule[] = [];
    const munin = this.munin.get(id);
    if (munin) out.push(munin);
    const exact = this.rules.exact.get(id);
    if (exact) out.push(...exact);
    for (const p of this.rules.patterns) {
      if (p.host.matches(hostId) && p.plugin.matches(plugin) && p.field.matches(field)) out.push(p.rule);
    }
    return out;
  }
}

export function parseSeriesId(id: string): AlertSeries {
  const [hostId, plugin, field] = id.split('\0');
  return { hostId, plugin, field };
}
