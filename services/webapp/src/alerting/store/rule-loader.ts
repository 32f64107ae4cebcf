import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { compileGlob } from '../../../../../common/graphite-glob/index.js';
import { AlertRuleInput, type AlertSeries, describeIssues } from '../../../../../common/schemas/index.js';
import { type PatternRule, type RuleSet, seriesId } from '../engine/rule-index.js';
import { type CompiledRule, userRule, viewRule } from '../engine/rules.js';

/**
 * A cheap fingerprint of everything rules are made of (user rules, view thresholds, view
 * members): the engine re-reads the rules when it changes, so an edit through the REST API
 * is evaluated within a reload period.
 */
export async function rulesSignature(pool: Pool): Promise<string> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT
      (SELECT CONCAT(COUNT(*), ':', COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', id, name, enabled, updated_at, definition))), 0)) FROM alert_rules) AS r,
      (SELECT CONCAT(COUNT(*), ':', COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', id, name, IFNULL(warning, '-'), IFNULL(critical, '-')))), 0))
         FROM views WHERE warning IS NOT NULL OR critical IS NOT NULL) AS v,
      (SELECT CONCAT(COUNT(*), ':', COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', view_id, source_id))), 0)) FROM view_sources) AS s`,
  );
  return `${rows[0].r}/${rows[0].v}/${rows[0].s}`;
}

/** A fingerprint of the webapp's hosts, to notice a deletion without reading them all. */
export async function hostIdsSignature(pool: Pool): Promise<{ signature: string }> {
  const [rows] = await pool.query<RowDataPacket[]>("SELECT CONCAT(COUNT(*), ':', COALESCE(BIT_XOR(CRC32(hostid)), 0)) AS s FROM hosts");
  return { signature: String(rows[0].s) };
}

/**
 * A host deleted from the webapp takes the user rules on its sources with it, as its
 * sources and plugins go with it (migrations' ON DELETE CASCADE): left, they would watch
 * series that no longer exist and, with a no-data condition, raise alerts for a host nobody
 * has. Pattern rules stay (they name no host). Returns the rules deleted.
 */
export async function deleteSourceRulesOf(pool: Pool, hostId: string): Promise<number> {
  const [result] = await pool.query<ResultSetHeader>(
    `DELETE FROM alert_rules
      WHERE JSON_VALUE(definition, '$.target.kind') = 'source' AND JSON_VALUE(definition, '$.target.hostId') = ?`,
    [hostId],
  );
  return result.affectedRows;
}

export async function loadHostIds(pool: Pool): Promise<Set<string>> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT hostid FROM hosts');
  return new Set(rows.map((r) => String(r.hostid)));
}

export interface LoadedRules {
  rules: RuleSet;
  /** Rows that could not be used, each naming the rule and why. */
  problems: string[];
  count: number;
}

/** Every enabled user rule and every view with thresholds, compiled and indexed. */
export async function loadRules(pool: Pool, options: { nodataMinutes: number }): Promise<LoadedRules> {
  const problems: string[] = [];
  const set: RuleSet = { exact: new Map(), patterns: [], exactSeries: [] };
  const viewSeries = await loadViewSeries(pool);
  let count = 0;
  const addExact = (rule: CompiledRule, series: AlertSeries) => {
    const id = seriesId(series.hostId, series.plugin, series.field);
    const list = set.exact.get(id) ?? [];
    if (!list.includes(rule)) list.push(rule);
    set.exact.set(id, list);
    set.exactSeries.push({ rule, series });
  };
  const [views] = await pool.query<RowDataPacket[]>(
    'SELECT id, name, warning, critical FROM views WHERE warning IS NOT NULL OR critical IS NOT NULL ORDER BY id',
  );
  for (const v of views) {
    const rule = viewRule(
      { id: Number(v.id), name: String(v.name), warning: numberOrNull(v.warning), critical: numberOrNull(v.critical) },
      options.nodataMinutes,
    );
    count++;
    for (const series of viewSeries.get(Number(v.id)) ?? []) addExact(rule, series);
  }
  const [rows] = await pool.query<RowDataPacket[]>('SELECT id, name, enabled, definition FROM alert_rules ORDER BY id');
  for (const row of rows) {
    if (!row.enabled) continue;
    const compiled = compileUserRow(row, problems);
    if (!compiled) continue;
    count++;
    const { rule, target } = compiled;
    if (target.kind === 'source') addExact(rule, { hostId: target.hostId, plugin: target.plugin, field: target.field });
    else if (target.kind === 'view') for (const series of viewSeries.get(target.viewId) ?? []) addExact(rule, series);
    else set.patterns.push(compiled.pattern as PatternRule);
  }
  return { rules: set, problems, count };
}

function compileUserRow(row: RowDataPacket, problems: string[]) {
  const id = Number(row.id);
  let definition: unknown = row.definition;
  try {
    if (typeof definition === 'string') definition = JSON.parse(definition);
  } catch (error) {
    problems.push(`rule ${id}: definition is not JSON (${(error as Error).message}); left out`);
    return null;
  }
  const parsed = AlertRuleInput.safeParse({ ...(definition as object), name: String(row.name) });
  if (!parsed.success) {
    problems.push(`rule ${id}: ${describeIssues(parsed.error.issues)}; left out`);
    return null;
  }
  if (!parsed.data.enabled) return null;
  const rule = userRule(id, parsed.data);
  const target = parsed.data.target;
  if (target.kind !== 'pattern') return { rule, target };
  try {
    const pattern = {
      rule,
      host: compileGlob(target.hostGlob),
      plugin: compileGlob(target.pluginGlob),
      field: compileGlob(target.fieldGlob),
    };
    return { rule, target, pattern };
  } catch (error) {
    problems.push(`rule ${id}: ${(error as Error).message}; left out`);
    return null;
  }
}

/** The series of every view: view id → (host ID, plugin, field) of its sources. */
async function loadViewSeries(pool: Pool): Promise<Map<number, AlertSeries[]>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT vs.view_id, h.hostid, p.name AS plugin, s.name AS field
       FROM view_sources vs JOIN sources s ON s.id = vs.source_id JOIN plugins p ON p.id = s.plugin_id JOIN hosts h ON h.id = p.host_id`,
  );
  const out = new Map<number, AlertSeries[]>();
  for (const r of rows) {
    const list = out.get(Number(r.view_id)) ?? [];
    list.push({ hostId: String(r.hostid), plugin: String(r.plugin), field: String(r.field) });
    out.set(Number(r.view_id), list);
  }
  return out;
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
