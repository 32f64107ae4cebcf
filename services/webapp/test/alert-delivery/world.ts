import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { silentLogger } from '../../../../common/logging/index.js';
import { ALERT_STATES, type AlertNotification, type AlertState, type ContactSettings } from '../../../../common/schemas/src/alerts.js';
import { createNotificationDispatcher, type DispatcherDeps, type NotificationDispatcher } from '../../src/alerting/delivery/index.js';
import { loadWebappConfig, type WebappConfig } from '../../src/config.js';
import { migrate } from '../../src/db/migrations.js';
import { createPool } from '../../src/db/pool.js';
import { createTestDatabase } from '../helpers.js';

/**
 * A database with the alerting tables, and outbox rows written the way the engine writes
 * them (state, history, one notification per contact), for the delivery tests.
 */
export interface OutboxWorld {
  pool: Pool;
  config: WebappConfig;
  addContact(name: string, settings: ContactSettings, options?: { enabled?: boolean }): Promise<number>;
  addNotification(contactId: number, payload: unknown, options?: { repeatNo?: number }): Promise<number>;
  notification(id: number): Promise<RowDataPacket>;
  contact(id: number): Promise<RowDataPacket>;
  dispatcher(extra?: Partial<DispatcherDeps>): NotificationDispatcher;
  drop(): Promise<void>;
}

let serial = 0;

export function makeNotification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  serial++;
  return {
    id: `n-${process.pid}-${serial}`,
    ruleKey: 'munin',
    ruleName: 'munin threshold',
    series: { hostId: 'web1.example', plugin: 'cpu', field: 'user' },
    hostName: 'web1',
    previous: 'OK' as AlertState,
    state: 'CRITICAL' as AlertState,
    changedAt: 1_700_000_000,
    value: 93.5,
    reason: 'value 93.5 above critical 90',
    repeat: false,
    url: 'http://numeter.example/graph?host=web1.example',
    ...overrides,
  };
}

/** Fast polling and retries: the tests wait on outcomes, never on the clock. */
export const FAST_DELIVERY: Record<string, string> = {
  NUMETER_WEBAPP_DELIVERY_POLL_INTERVAL_MS: '50',
  NUMETER_WEBAPP_DELIVERY_SEND_TIMEOUT_MS: '1500',
  NUMETER_WEBAPP_DELIVERY_LEASE_MS: '5000',
  NUMETER_WEBAPP_DELIVERY_BACKOFF_INITIAL_MS: '100',
  NUMETER_WEBAPP_DELIVERY_BACKOFF_MAX_MS: '400',
  NUMETER_WEBAPP_DELIVERY_MAX_ATTEMPTS: '3',
};

export async function outboxWorld(env: Record<string, string> = {}): Promise<OutboxWorld> {
  const db = await createTestDatabase();
  const config = loadWebappConfig(undefined, false, { ...db.env, ...FAST_DELIVERY, ...env });
  const pool = createPool(config.database);
  await migrate(pool);
  const now = new Date();
  const one = async (sql: string, id: number) => {
    const [rows] = await pool.query<RowDataPacket[]>(sql, [id]);
    if (!rows[0]) throw new Error(`no row ${id} for ${sql}`);
    return rows[0];
  };
  return {
    pool,
    config,
    async addContact(name, settings, options = {}) {
      const [r] = await pool.query<ResultSetHeader>('INSERT INTO contacts (name, kind, settings, enabled) VALUES (?, ?, ?, ?)', [
        name,
        settings.kind,
        JSON.stringify(settings),
        options.enabled ?? true,
      ]);
      return r.insertId;
    },
    async addNotification(contactId, payload, options = {}) {
      const n = payload as AlertNotification;
      const series = n.series ?? { hostId: 'h', plugin: 'p', field: 'f' };
      const known = (s: unknown) => (ALERT_STATES as readonly unknown[]).includes(s);
      const state = known(n.state) ? n.state : 'CRITICAL';
      const previous = known(n.previous) ? n.previous : 'OK';
      const seriesKey = createHash('sha256').update(`${series.hostId}\0${series.plugin}\0${series.field}\0${serial++}`).digest('hex');
      const [stateRow] = await pool.query<ResultSetHeader>(
        'INSERT INTO alert_states (rule_key, series_key, hostid, plugin, field, state, since) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ['munin', seriesKey, series.hostId, series.plugin, series.field, state, now],
      );
      const [history] = await pool.query<ResultSetHeader>(
        'INSERT INTO alert_history (state_id, rule_key, hostid, plugin, field, previous, state, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [stateRow.insertId, 'munin', series.hostId, series.plugin, series.field, previous, state, now],
      );
      const [row] = await pool.query<ResultSetHeader>(
        `INSERT INTO alert_notifications (history_id, contact_id, repeat_no, payload, next_attempt_at, created_at)
          VALUES (?, ?, ?, ?, ?, ?)`,
        [history.insertId, contactId, options.repeatNo ?? 0, JSON.stringify(payload), new Date(), new Date()],
      );
      return row.insertId;
    },
    notification: (id) => one('SELECT * FROM alert_notifications WHERE id = ?', id),
    contact: (id) => one('SELECT * FROM contacts WHERE id = ?', id),
    dispatcher: (extra = {}) => createNotificationDispatcher({ pool, config, logger: silentLogger(), ...extra }),
    async drop() {
      try {
        await pool.end();
      } finally {
        await db.drop();
      }
    },
  };
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP receiver of webhooks: records each request; `answer` decides the reply (or none: it hangs). */
export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  answer: (request: ReceivedRequest) => number | 'hang';
  close(): Promise<void>;
}

export async function receiver(): Promise<Receiver> {
  const hanging: ServerResponse[] = [];
  const state: Receiver = { url: '', requests: [], answer: () => 200, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      state.requests.push(request);
      const status = state.answer(request);
      if (status === 'hang') hanging.push(res);
      else res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? `refused ${status}` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
