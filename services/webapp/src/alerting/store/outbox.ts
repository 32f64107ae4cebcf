import { createHash } from 'node:crypto';
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { AlertNotification, type AlertSeries, type AlertState, severityOf } from '../../../../../common/schemas/index.js';

/** `alert_*.series_key`: SHA-256 hex of `hostid\0plugin\0field` (migration 5). */
export function seriesKeyOf(series: AlertSeries): string {
  return createHash('sha256').update(`${series.hostId}\0${series.plugin}\0${series.field}`).digest('hex');
}

export interface HostFacts {
  name: string;
  /** The webapp's id of the host (its page is /hosts/<id>); null when the webapp does not know it yet. */
  id: number | null;
}

/** The host's name in the webapp (its host ID when the webapp does not know it yet). */
export async function hostFacts(db: PoolConnection, hostId: string): Promise<HostFacts> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT id, name FROM hosts WHERE hostid = ?', [hostId]);
  return rows.length ? { name: String(rows[0].name), id: Number(rows[0].id) } : { name: hostId, id: null };
}

/**
 * The page a notification links to, under `[web] public_url`: the series' graph on its host's
 * page (`/hosts/<id>#graph-<plugin>`, the anchor the host page gives each plugin's graph), or the
 * rule's history when the webapp does not know the host yet. Empty without a public URL: a
 * relative link in a mail leads nowhere.
 */
export function notificationLink(publicUrl: string, host: HostFacts, series: AlertSeries, ruleKey: string): string {
  if (!publicUrl) return '';
  const base = publicUrl.replace(/\/+$/, '');
  if (host.id !== null) return `${base}/hosts/${host.id}#graph-${encodeURIComponent(series.plugin)}`;
  return `${base}/alerts/history?rule=${encodeURIComponent(ruleKey)}`;
}

/**
 * The contacts to tell about a change of a series of host H from `previous` to `state`:
 * enabled contacts of H's group, of users subscribed to H, and the catch-all ones (no group,
 * no user), each only when max(severity(previous), severity(state)) reaches its min_state —
 * so a recovery reaches whoever got the problem.
 */
export async function contactsToNotify(db: PoolConnection, hostId: string, previous: AlertState, state: AlertState): Promise<number[]> {
  return contactsReached(await contactRowsOf(db, hostId), previous, state);
}

/** An enabled contact that may hear of host H's changes, and the least state it wants to hear of. */
export interface ContactRow {
  id: number;
  minState: AlertState;
}

/** contactsToNotify's candidates, whatever the change (a batch of changes of one host reads them once). */
export async function contactRowsOf(db: PoolConnection, hostId: string): Promise<ContactRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT c.id, c.min_state FROM contacts c
      WHERE c.enabled AND ((c.group_id IS NULL AND c.user_id IS NULL)
        OR c.group_id = (SELECT h.group_id FROM hosts h WHERE h.hostid = ?)
        OR c.user_id IN (SELECT s.user_id FROM alert_subscriptions s JOIN hosts h ON h.id = s.host_id WHERE h.hostid = ?))
      ORDER BY c.id`,
    [hostId, hostId],
  );
  return rows.map((r) => ({ id: Number(r.id), minState: r.min_state as AlertState }));
}

/** The contacts of `rows` that a change from `previous` to `state` reaches (see contactsToNotify). */
export function contactsReached(rows: readonly ContactRow[], previous: AlertState, state: AlertState): number[] {
  const reached = Math.max(severityOf(previous), severityOf(state));
  return rows.filter((r) => reached >= severityOf(r.minState)).map((r) => r.id);
}

export interface OutboxEntry {
  historyId: number;
  repeatNo: number;
  /** The payload without its id (made per contact). */
  notification: Omit<AlertNotification, 'id'>;
}

/**
 * One pending alert_notifications row per contact, in the caller's transaction. The
 * payload id is stable (`<history>-<contact>-<repeat>`), so a receiver can drop the
 * duplicates at-least-once delivery may send. Returns the number of rows written.
 */
export async function insertOutboxRows(db: PoolConnection, entry: OutboxEntry, contactIds: number[], nowMs: number): Promise<number> {
  if (contactIds.length === 0) return 0;
  const now = new Date(nowMs);
  const values = contactIds.map((contactId) => {
    const payload = AlertNotification.parse({ ...entry.notification, id: `${entry.historyId}-${contactId}-${entry.repeatNo}` });
    return [entry.historyId, contactId, entry.repeatNo, JSON.stringify(payload), 'pending', 0, now, now];
  });
  await db.query(
    `INSERT IGNORE INTO alert_notifications (history_id, contact_id, repeat_no, payload, status, attempts, next_attempt_at, created_at)
     VALUES ?`,
    [values],
  );
  return values.length;
}
