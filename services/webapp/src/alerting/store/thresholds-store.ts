import type { Pool, RowDataPacket } from 'mysql2/promise';
import { safeName } from '../../../../../common/schemas/index.js';
import type { ThresholdChange, ThresholdRow } from '../engine/munin-thresholds.js';
import { seriesKeyOf } from './outbox.js';

/** alert_thresholds: the munin thresholds last seen, so a restart evaluates at once. */
export async function loadThresholds(pool: Pool): Promise<ThresholdRow[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT hostid, plugin, field, warning, critical, unknown_limit, source FROM alert_thresholds',
  );
  return rows
    .filter((r) => [r.hostid, r.plugin, r.field].every((n) => safeName.safeParse(n).success))
    .map((r) => ({
      series: { hostId: String(r.hostid), plugin: String(r.plugin), field: String(r.field) },
      warning: r.warning === null ? null : String(r.warning),
      critical: r.critical === null ? null : String(r.critical),
      source: r.source === 'munin_conf' ? 'munin_conf' : 'info',
      unknownLimit: r.unknown_limit === null ? null : String(r.unknown_limit),
    }));
}

/** Writes the changes (upserts and deletes) in one statement each; idempotent. */
export async function saveThresholds(pool: Pool, changes: ThresholdChange[], nowMs: number): Promise<void> {
  const now = new Date(nowMs);
  for (const change of changes) {
    const key = seriesKeyOf(change.series);
    if (change.row === null) {
      await pool.query('DELETE FROM alert_thresholds WHERE series_key = ?', [key]);
      continue;
    }
    const { series, warning, critical, source, unknownLimit } = change.row;
    await pool.query(
      `INSERT INTO alert_thresholds (series_key, hostid, plugin, field, warning, critical, unknown_limit, source, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE warning = VALUES(warning), critical = VALUES(critical), unknown_limit = VALUES(unknown_limit),
         source = VALUES(source), updated_at = VALUES(updated_at)`,
      [
        key,
        series.hostId,
        series.plugin,
        series.field,
        warning?.slice(0, 64) ?? null,
        critical?.slice(0, 64) ?? null,
        unknownLimit?.slice(0, 16) ?? null,
        source,
        now,
      ],
    );
  }
}
