import type { AlertSeries, PluginInfoMessage } from '../../../../../common/schemas/index.js';
import { tryMuninRange, unknownPointsOf } from './munin-range.js';
import { parseSeriesId, type RuleIndex, seriesId } from './rule-index.js';
import { muninRule } from './rules.js';

/** A field's thresholds in munin's text form; null = none at that level. */
export interface ThresholdText {
  warning: string | null;
  critical: string | null;
}

/** One `alert_thresholds` row: what a restart needs to know at once. */
export interface ThresholdRow extends ThresholdText {
  series: AlertSeries;
  source: 'info' | 'munin_conf';
  /** munin's `unknown_limit` as the plugin gave it (null: munin's default, 3). */
  unknownLimit: string | null;
}

/** A row to write (`row`) or to delete (`row: null`) for a series. */
export interface ThresholdChange {
  series: AlertSeries;
  row: ThresholdRow | null;
}

interface Known {
  info?: ThresholdText;
  /** The plugin's unknown_limit for the field, kept apart: it applies to munin.conf's overrides too. */
  unknownLimit?: string | null;
  conf?: ThresholdText;
  /** The row as it is in the table. */
  stored?: ThresholdRow;
}

/**
 * The munin rule of every field: the plugin's own `warning`/`critical` (from its info
 * messages) with munin.conf's per-field overrides on top, each level separately, as munin
 * applies `host.plugin.field.warning`. Keeps the index's munin rules up to date and says
 * which `alert_thresholds` rows must change. Plugin output is not ours: a range that cannot
 * be read is reported and that level left out.
 */
export class MuninThresholds {
  private readonly known = new Map<string, Known>();

  constructor(
    private readonly index: RuleIndex,
    private readonly options: { nodataMinutes: number; report: (problem: string) => void },
  ) {}

  /** At start: the rows saved by the previous run. */
  load(rows: ThresholdRow[]): void {
    for (const row of rows) {
      const known = this.entry(row.series);
      const text = { warning: row.warning, critical: row.critical };
      if (row.source === 'munin_conf') known.conf = text;
      else known.info = text;
      known.unknownLimit = row.unknownLimit;
      known.stored = row;
      this.apply(row.series, known);
    }
  }

  /** A plugin info message: every field it lists, and the end of thresholds of fields it dropped. */
  fromInfo(message: PluginInfoMessage): ThresholdChange[] {
    const changes: ThresholdChange[] = [];
    const listed = new Set<string>();
    for (const [field, info] of Object.entries(message.fields)) {
      const series = { hostId: message.hostId, plugin: message.plugin, field };
      listed.add(seriesId(series.hostId, series.plugin, series.field));
      const text = { warning: info.warning ?? null, critical: info.critical ?? null };
      const known = this.known.get(seriesId(series.hostId, series.plugin, series.field));
      if (text.warning === null && text.critical === null && !known?.info) continue;
      const entry = known ?? this.entry(series);
      entry.info = text.warning === null && text.critical === null ? undefined : text;
      entry.unknownLimit = info.extra?.unknown_limit?.trim().slice(0, 16) ?? null;
      changes.push(...this.apply(series, entry));
    }
    const prefix = `${message.hostId}\0${message.plugin}\0`;
    for (const [id, entry] of this.known) {
      if (!id.startsWith(prefix) || listed.has(id) || !entry.info) continue;
      entry.info = undefined;
      changes.push(...this.apply(parseSeriesId(id), entry));
    }
    return changes;
  }

  /** munin.conf's overrides, the whole set: overrides no longer in the file go. */
  replaceOverrides(overrides: Array<{ series: AlertSeries } & ThresholdText>): ThresholdChange[] {
    const changes: ThresholdChange[] = [];
    const wanted = new Map(overrides.map((o) => [seriesId(o.series.hostId, o.series.plugin, o.series.field), o]));
    for (const [id, entry] of this.known) {
      if (entry.conf && !wanted.has(id)) {
        entry.conf = undefined;
        changes.push(...this.apply(parseSeriesId(id), entry));
      }
    }
    for (const [id, o] of wanted) {
      const entry = this.known.get(id) ?? this.entry(o.series);
      if (entry.conf?.warning === o.warning && entry.conf?.critical === o.critical) continue;
      entry.conf = { warning: o.warning, critical: o.critical };
      changes.push(...this.apply(o.series, entry));
    }
    return changes;
  }

  /** A host deleted from the webapp: its fields lose their thresholds (the plugin's and munin.conf's) until they come again. */
  forgetHost(hostId: string): ThresholdChange[] {
    const changes: ThresholdChange[] = [];
    const prefix = `${hostId}\0`;
    for (const [id, entry] of this.known) {
      if (!id.startsWith(prefix)) continue;
      entry.info = undefined;
      entry.conf = undefined;
      changes.push(...this.apply(parseSeriesId(id), entry));
    }
    return changes;
  }

  /** Marks a change as written (the table now holds `row`). */
  stored(change: ThresholdChange): void {
    const entry = this.known.get(seriesId(change.series.hostId, change.series.plugin, change.series.field));
    if (entry) entry.stored = change.row ?? undefined;
  }

  size(): number {
    return this.known.size;
  }

  private entry(series: AlertSeries): Known {
    const id = seriesId(series.hostId, series.plugin, series.field);
    let entry = this.known.get(id);
    if (!entry) {
      entry = {};
      this.known.set(id, entry);
    }
    return entry;
  }

  /** Sets the index's rule from what is known and returns the row change it needs, if any. */
  private apply(series: AlertSeries, known: Known): ThresholdChange[] {
    const where = `${series.hostId}/${series.plugin}/${series.field}`;
    const report = (level: string) => (problem: string) => this.options.report(`${where} ${level}: ${problem}`);
    const warningText = known.conf?.warning ?? known.info?.warning ?? null;
    const criticalText = known.conf?.critical ?? known.info?.critical ?? null;
    const warning = tryMuninRange(warningText, report('warning'));
    const critical = tryMuninRange(criticalText, report('critical'));
    const unknownPoints = unknownPointsOf(known.unknownLimit ?? undefined);
    this.index.setMunin(series, warning || critical ? muninRule(warning, critical, unknownPoints, this.options.nodataMinutes) : null);
    const unknownLimit = known.unknownLimit ?? null;
    const row: ThresholdRow | null = known.conf
      ? { series, source: 'munin_conf', ...known.conf, unknownLimit }
      : known.info
        ? { series, source: 'info', warning: known.info.warning, critical: known.info.critical, unknownLimit }
        : null;
    if (!row && !known.stored) {
      this.known.delete(seriesId(series.hostId, series.plugin, series.field));
      return [];
    }
    if (sameRow(row, known.stored)) return [];
    return [{ series, row }];
  }
}

function sameRow(a: ThresholdRow | null, b: ThresholdRow | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.source === b.source && a.warning === b.warning && a.critical === b.critical && a.unknownLimit === b.unknownLimit;
}
