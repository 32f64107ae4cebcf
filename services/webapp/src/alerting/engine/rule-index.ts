import { isDeepStrictEqual } from 'node:util';
import type { Glob } from '../../../../../common/graphite-glob/index.js';
import type { AlertSeries, RuleKey } from '../../../../../common/schemas/index.js';
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

/** A pattern rule and its place in the rule set. */
interface IndexedPattern extends PatternRule {
  position: number;
}

/**
 * Pattern rules with the same host, plugin and field globs (rules repeat them: `*`, `df`,
 * `plugin{1,2}`): a series is matched once against the globs of each group, not once per rule.
 */
interface PatternGroup {
  host: Glob;
  plugin: Glob;
  field: Glob;
  patterns: IndexedPattern[];
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
 * view's series) by map lookup, and pattern rules matched once per series and cached (a
 * pattern naming one host is only tried on that host's series). So the cost per point is
 * one map lookup whatever the number of rules.
 */
export class RuleIndex {
  private munin = new Map<string, CompiledRule>();
  private rules: RuleSet = { exact: new Map(), patterns: [], exactSeries: [] };
  private readonly cache = new Map<string, CompiledRule[]>();
  private byKey = new Map<RuleKey, CompiledRule>();
  /** Pattern rules whose host glob names one host, by that host; the others in `wildcardHosts`. */
  private patternsByHost = new Map<string, PatternGroup[]>();
  private wildcardHosts: PatternGroup[] = [];
  private changes = 0;

  /**
   * Grows whenever the rules of some series may have changed (a new rule set, a munin
   * threshold that really changed): a caller that kept what rulesFor answered per series
   * asks again only when it moved, instead of on every point.
   */
  get generation(): number {
    return this.changes;
  }

  /**
   * The rules of a series. The same array comes back until the rules of that series change
   * (a new rule set, the field's munin thresholds), so callers may key their own caches on it.
   */
  rulesFor(hostId: string, plugin: string, field: string): CompiledRule[] {
    return this.rulesForId(seriesId(hostId, plugin, field), hostId, plugin, field);
  }

  /** rulesFor, for a caller that already has the series id. */
  rulesForId(id: string, hostId: string, plugin: string, field: string): CompiledRule[] {
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

  /** Every info message sets its fields' rules again: only a rule that differs (rules are plain data) is a change. */
  setMunin(series: AlertSeries, rule: CompiledRule | null): void {
    const id = seriesId(series.hostId, series.plugin, series.field);
    const known = this.munin.get(id);
    if (rule === null ? known === undefined : known !== undefined && isDeepStrictEqual(known, rule)) return;
    if (rule) this.munin.set(id, rule);
    else this.munin.delete(id);
    this.cache.delete(id);
    this.changes++;
  }

  muninSeries(): AlertSeries[] {
    return [...this.munin.keys()].map(parseSeriesId);
  }

  replaceRules(rules: RuleSet): void {
    this.rules = rules;
    this.byKey = new Map();
    for (const list of rules.exact.values()) for (const rule of list) this.byKey.set(rule.key, rule);
    this.patternsByHost = new Map();
    this.wildcardHosts = [];
    // One matcher per pattern text (each lazily built DFA learns its transitions once, not
    // once per rule), and one group per (host, plugin, field) glob triple.
    const globs = new Map<string, Glob>();
    const shared = (glob: Glob) => {
      const known = globs.get(glob.pattern);
      if (known) return known;
      globs.set(glob.pattern, glob);
      return glob;
    };
    const groups = new Map<string, PatternGroup>();
    rules.patterns.forEach((pattern, position) => {
      this.byKey.set(pattern.rule.key, pattern.rule);
      const host = shared(pattern.host);
      const plugin = shared(pattern.plugin);
      const field = shared(pattern.field);
      const triple = JSON.stringify([host.pattern, plugin.pattern, field.pattern]);
      let group = groups.get(triple);
      if (!group) {
        group = { host, plugin, field, patterns: [] };
        groups.set(triple, group);
        if (!host.literal) this.wildcardHosts.push(group);
        else {
          const list = this.patternsByHost.get(host.pattern) ?? [];
          list.push(group);
          this.patternsByHost.set(host.pattern, list);
        }
      }
      group.patterns.push({ rule: pattern.rule, host, plugin, field, position });
    });
    this.cache.clear();
    this.changes++;
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
    const matched: IndexedPattern[] = [];
    for (const g of this.patternsByHost.get(hostId) ?? []) {
      if (g.plugin.matches(plugin) && g.field.matches(field)) matched.push(...g.patterns);
    }
    for (const g of this.wildcardHosts) {
      if (g.host.matches(hostId) && g.plugin.matches(plugin) && g.field.matches(field)) matched.push(...g.patterns);
    }
    // In the rule set's order, as when every pattern was tried in turn.
    if (matched.length > 1) matched.sort((a, b) => a.position - b.position);
    for (const p of matched) out.push(p.rule);
    return out;
  }
}

export function parseSeriesId(id: string): AlertSeries {
  const [hostId, plugin, field] = id.split('\0');
  return { hostId, plugin, field };
}
