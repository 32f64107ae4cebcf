/**
 * The alerting engine's periodic write of the problems' latest values
 * (services/webapp/src/alerting/store/latest-values.ts): BENCH_PROBLEMS non-OK state rows
 * (5,000, the default `[alerting] value_flush_max_rows`) in MariaDB, each with a new value,
 * written by one flush (one transaction, 500 rows per UPDATE … JOIN). Reference, in the same
 * run on the same rows: one UPDATE per row in one transaction, the plain way. Printed: each
 * one's time, rows/s and the ratio, and a check that every row holds its new value.
 *
 * Env: BENCH_PROBLEMS (5000), BENCH_ROUNDS (3; the best of each is kept).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import type { SeriesState } from '../../services/webapp/src/alerting/engine/series-state.js';
import { LatestValueWriter } from '../../services/webapp/src/alerting/store/latest-values.js';
import { seriesKeyOf } from '../../services/webapp/src/alerting/store/outbox.js';
import { loadWebappConfig } from '../../services/webapp/src/config.js';
import { migrate } from '../../services/webapp/src/db/migrations.js';
import { createPool } from '../../services/webapp/src/db/pool.js';
import { transaction } from '../../services/webapp/src/repos/sql.js';

const PROBLEMS = Number(process.env.BENCH_PROBLEMS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function states(round: number): SeriesState[] {
  const out: SeriesState[] = [];
  for (let i = 0; i < PROBLEMS; i++) {
    out.push({
      ruleKey: 'munin',
      series: { hostId: `bench-${i % 500}`, plugin: 'df', field: `disk${i}` },
      state: 'CRITICAL',
      sinceMs: 0,
      reason: `value ${90 + round} outside critical range :80`,
      value: 90 + round + i / PROBLEMS,
      lastSeenMs: 0,
      lastPointS: 1_700_000_000 + round * 60,
      pending: null,
      flapping: false,
      notifiedState: 'CRITICAL',
      lastNotifiedMs: null,
    } as unknown as SeriesState);
  }
  return out;
}

async function seed(pool: Pool): Promise<void> {
  const rows = states(0).map((st) => [
    st.ruleKey,
    seriesKeyOf(st.series),
    st.series.hostId,
    st.series.plugin,
    st.series.field,
    'CRITICAL',
    new Date(),
    0,
    '',
  ]);
  for (let i = 0; i < rows.length; i += 1000)
    await pool.query('INSERT INTO alert_states (rule_key, series_key, hostid, plugin, field, state, since, last_value, reason) VALUES ?', [
      rows.slice(i, i + 1000),
    ]);
}

async function perRow(pool: Pool, list: SeriesState[]): Promise<void> {
  await transaction(pool, async (db) => {
    for (const st of list)
      await db.query(
        'UPDATE alert_states SET last_value = ?, last_point_at = ?, reason = ? WHERE rule_key = ? AND series_key = ? AND state = ?',
        [st.value, new Date((st.lastPointS ?? 0) * 1000), st.reason, st.ruleKey, seriesKeyOf(st.series), st.state],
      );
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const dbName = `nmt_bench_values_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
  await admin.query(`CREATE DATABASE ${dbName} CHARACTER SET utf8mb4`);
  const config = loadWebappConfig(undefined, false, { NUMETER_WEBAPP_DATABASE_USER: 'root', NUMETER_WEBAPP_DATABASE_NAME: dbName });
  const pool = createPool(config.database);
  try {
    await migrate(pool);
    await seed(pool);
    let flush = Number.POSITIVE_INFINITY;
    let reference = Number.POSITIVE_INFINITY;
    for (let round = 1; round <= ROUNDS; round++) {
      const writer = new LatestValueWriter({ pool, maxRows: PROBLEMS });
      const list = states(round * 2);
      flush = Math.min(flush, await timed(() => writer.write(writer.collect(list))));
      reference = Math.min(reference, await timed(() => perRow(pool, states(round * 2 + 1))));
    }
    const last = states(ROUNDS * 2 + 2);
    const writer = new LatestValueWriter({ pool, maxRows: PROBLEMS });
    await writer.write(writer.collect(last));
    const [rows] = await pool.query<RowDataPacket[]>('SELECT field, last_value FROM alert_states');
    const wanted = new Map(last.map((st) => [st.series.field, st.value]));
    const wrong = rows.filter((r) => Math.abs(Number(r.last_value) - (wanted.get(r.field) ?? Number.NaN)) > 1e-9).length;
    console.log(`problems: ${PROBLEMS}, best of ${ROUNDS}, load average ${loadavg()[0].toFixed(1)}`);
    console.log(`flush (UPDATE … JOIN, 500 rows each): ${(flush * 1000).toFixed(0)} ms, ${(PROBLEMS / flush).toFixed(0)} rows/s`);
    console.log(`reference (one UPDATE per row): ${(reference * 1000).toFixed(0)} ms, ${(PROBLEMS / reference).toFixed(0)} rows/s`);
    console.log(`ratio (reference time / flush time): ${(reference / flush).toFixed(2)}`);
    console.log(`rows holding their new value: ${rows.length - wrong}/${rows.length} ${wrong === 0 ? 'PASS' : 'FAIL'}`);
    if (wrong) process.exitCode = 1;
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
  }
}

await main();
