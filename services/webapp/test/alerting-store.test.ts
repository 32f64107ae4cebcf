import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { systemClock } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import type { AlertState } from '../../../common/schemas/index.js';
import type { StateRecord } from '../src/alerting/engine/evaluator.js';
import { StateStore, StateStoreStoppedError } from '../src/alerting/store/state-store.js';
import { WriteQueue } from '../src/alerting/store/write-queue.js';
import { migrate } from '../src/db/migrations.js';
import { createPool } from '../src/db/pool.js';
import { createTestDatabase } from './helpers.js';

/** A promise and its resolve, to hold a batch in the middle of its write. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('the write queue: ordered, bounded batches', () => {
  test('what comes during a batch goes into the next one, in order, at most maxBatch units each', async () => {
    const batches: number[][] = [];
    let hold = gate();
    const queue = new WriteQueue<number>({
      maxBatch: 4,
      writeBatch: async (units) => {
        batches.push(units);
        await hold.opened;
      },
    });
    const done: string[] = [];
    const first = queue.push([1]).then(() => done.push('a'));
    const second = queue.push([2, 3]).then(() => done.push('b'));
    const third = queue.push([4, 5, 6, 7]).then(() => done.push('c'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [[1]], 'the first push is written at once, alone');
    hold.open();
    hold = gate();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches.at(-1), [2, 3, 4, 5], 'the next pushes together, cut at the bound');
    assert.deepEqual(done, ['a'], 'a push resolves only once its last unit is written');
    hold.open();
    await Promise.all([second, third]);
    assert.deepEqual(batches, [[1], [2, 3, 4, 5], [6, 7]]);
    assert.deepEqual(done, ['a', 'b', 'c']);
    assert.equal(queue.counters.batches, 3);
  });

  test('a task runs alone between what was pushed before and after it', async () => {
    const order: string[] = [];
    const queue = new WriteQueue<string>({ maxBatch: 100, writeBatch: async (units) => void order.push(units.join('+')) });
    const pushes = [queue.push(['x']), queue.task(async () => order.push('task')), queue.push(['y']), queue.push(['z'])];
    await Promise.all(pushes);
    assert.deepEqual(order, ['x', 'task', 'y+z']);
  });

  test('a batch that cannot be written fails every push waiting; the queue goes on after', async () => {
    let fail = true;
    const written: number[] = [];
    const queue = new WriteQueue<number>({
      maxBatch: 100,
      writeBatch: async (units) => {
        if (fail) throw new Error('stopped');
        written.push(...units);
      },
    });
    const results = await Promise.allSettled([queue.push([1]), queue.push([2])]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    fail = false;
    await queue.push([3]);
    assert.deepEqual(written, [3]);
  });
});

describe('the state store: one transaction per batch', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  let contact: number;
  const rows = async (sql: string, params: unknown[] = []) => (await pool.query<RowDataPacket[]>(sql, params))[0];

  before(async () => {
    db = await createTestDatabase();
    pool = createPool(db.config.database);
    await migrate(pool);
    const [r] = await pool.query<ResultSetHeader>("INSERT INTO contacts (name, kind, settings) VALUES ('hook', 'webhook', ?)", [
      JSON.stringify({ kind: 'webhook', url: 'http://127.0.0.1:9/hook' }),
    ]);
    contact = r.insertId;
  });

  after(async () => {
    await pool.end();
    await db.drop();
  });

  const change = (field: string, previous: AlertState, state: AlertState, atMs: number): StateRecord => ({
    event: { kind: 'change', previous, notify: true, notifiedPrevious: previous },
    ruleKey: 'rule:1',
    ruleName: 'storm',
    series: { hostId: 'store1.example.com', plugin: 'probe', field },
    state,
    sinceMs: atMs,
    reason: `${field} is ${state}`,
    value: 90,
    lastPointAtMs: atMs,
    flapping: false,
    atMs,
  });

  test('a storm of changes: few transactions, every change in order, each message acked only once committed', async () => {
    const store = new StateStore({ pool, clock: systemClock, logger: silentLogger(), maxBatch: 50 });
    const t0 = Date.now();
    const committedWhenResolved: boolean[] = [];
    const messages = Array.from({ length: 120 }, (_, i) =>
      store.record([change(`v${i}`, 'OK', 'CRITICAL', t0 + i)]).then(async () => {
        const found = await rows("SELECT id FROM alert_history WHERE field = ? AND state = 'CRITICAL'", [`v${i}`]);
        committedWhenResolved.push(found.length === 1);
      }),
    );
    // A message with two records: the change and its recovery, in one push.
    messages.push(store.record([change('w', 'OK', 'WARNING', t0 + 200), change('w', 'WARNING', 'OK', t0 + 201)]));
    await Promise.all(messages);
    assert.ok(committedWhenResolved.every(Boolean), 'visible to another connection when its promise resolves');
    const stats = store.stats();
    assert.equal(stats.written, 122);
    assert.ok(stats.batches < 20, `far fewer transactions than changes (${stats.batches} for 122)`);
    assert.ok(stats.largestBatch <= 50, 'bounded');
    const history = await rows("SELECT field, state FROM alert_history WHERE hostid = 'store1.example.com' ORDER BY id");
    assert.deepEqual(
      history.map((h) => `${h.field}:${h.state}`),
      [...Array.from({ length: 120 }, (_, i) => `v${i}:CRITICAL`), 'w:WARNING', 'w:OK'],
      'in the order the engine made them',
    );
    const outbox = await rows('SELECT COUNT(*) AS n FROM alert_notifications WHERE contact_id = ?', [contact]);
    assert.equal(Number(outbox[0].n), 122, 'one pending notification per change and contact');
  });

  test('a batch that fails is rolled back and retried whole: nothing written twice, nothing lost', async () => {
    const store = new StateStore({ pool, clock: systemClock, logger: silentLogger(), firstRetryMs: 50, maxBatch: 50 });
    // The outbox is missing for a moment: each batch fails after its states and history rows were inserted.
    await pool.query('RENAME TABLE alert_notifications TO alert_notifications_away');
    const t0 = Date.now();
    const pending = Promise.all(Array.from({ length: 10 }, (_, i) => store.record([change(`r${i}`, 'OK', 'WARNING', t0 + i)])));
    while (store.stats().writeFailures < 2) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await rows("SELECT * FROM alert_history WHERE field LIKE 'r%'")).length, 0, 'the failed attempts left nothing');
    await pool.query('RENAME TABLE alert_notifications_away TO alert_notifications');
    await pending;
    const history = await rows("SELECT field FROM alert_history WHERE field LIKE 'r%' ORDER BY id");
    assert.deepEqual(
      history.map((h) => h.field),
      Array.from({ length: 10 }, (_, i) => `r${i}`),
    );
    const outbox = await rows(
      "SELECT COUNT(*) AS n FROM alert_notifications n JOIN alert_history h ON h.id = n.history_id WHERE h.field LIKE 'r%'",
    );
    assert.equal(Number(outbox[0].n), 10);
  });

  test('stopped while the database is away: the waiting records reject, so their messages are requeued', async () => {
    const store = new StateStore({ pool, clock: systemClock, logger: silentLogger(), firstRetryMs: 50 });
    await pool.query('RENAME TABLE alert_notifications TO alert_notifications_away');
    try {
      const waiting = Promise.allSettled([
        store.record([change('s1', 'OK', 'WARNING', Date.now())]),
        store.record([change('s2', 'OK', 'WARNING', Date.now())]),
      ]);
      while (store.stats().writeFailures < 1) await new Promise((r) => setTimeout(r, 20));
      store.stop();
      const results = await waiting;
      assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof StateStoreStoppedError));
    } finally {
      await pool.query('RENAME TABLE alert_notifications_away TO alert_notifications');
    }
    assert.equal((await rows("SELECT * FROM alert_history WHERE field IN ('s1', 's2')")).length, 0);
  });
});
