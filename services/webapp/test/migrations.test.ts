import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { ConfigError } from '../../../common/config/index.js';
import { loadWebappConfig, printableConfig } from '../src/config.js';
import { MIGRATIONS, migrate } from '../src/db/migrations.js';
import { createPool } from '../src/db/pool.js';
import { createTestDatabase } from './helpers.js';

describe('migrations', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: Pool;
  before(async () => {
    db = await createTestDatabase();
    pool = createPool(db.config.database);
  });
  after(async () => {
    try {
      await pool.end();
    } finally {
      await db.drop();
    }
  });

  it('apply from empty, then are a no-op the second time', async () => {
    const first = await migrate(pool);
    assert.deepEqual(
      first.applied,
      MIGRATIONS.map((m) => m.version),
    );
    const [tables] = await pool.query<RowDataPacket[]>('SHOW TABLES');
    const before = tables.map((t) => Object.values(t)[0]).sort();
    for (const t of [
      'users',
      'usergroups',
      'storages',
      'hosts',
      'plugins',
      'sources',
      'views',
      'multiviews',
      'skeletons',
      'events',
      'api_tokens',
      'sessions',
    ])
      assert.ok(before.includes(t), `table ${t}`);
    const second = await migrate(pool);
    assert.deepEqual(second.applied, []);
    assert.equal(second.current, first.current);
    const [again] = await pool.query<RowDataPacket[]>('SHOW TABLES');
    assert.deepEqual(again.map((t) => Object.values(t)[0]).sort(), before);
    const [skeletons] = await pool.query<RowDataPacket[]>('SELECT name FROM skeletons ORDER BY name');
    assert.deepEqual(
      skeletons.map((s) => s.name),
      ['cpu', 'disk', 'load', 'memory', 'network', 'power-load'],
    );
  });

  it('two processes migrating at once apply each version once', async () => {
    const other = await createTestDatabase();
    const pools = [createPool(other.config.database), createPool(other.config.database)];
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      assert.deepEqual(results.flatMap((r) => r.applied).sort(), MIGRATIONS.map((m) => m.version).sort());
    } finally {
      await Promise.all(pools.map((p) => p.end()));
      await other.drop();
    }
  });
});

describe('config', () => {
  it('has the documented defaults', () => {
    const c = loadWebappConfig(undefined, false, {});
    assert.equal(c.web.listen, '127.0.0.1');
    assert.equal(c.web.port, 8000);
    assert.equal(c.database.port, 3306);
    assert.equal(c.storage.timeout, 5);
    assert.equal(c.web.secure_cookies, false);
  });
  it('takes environment overrides and masks secrets when printed', () => {
    const c = loadWebappConfig(undefined, false, {
      NUMETER_WEBAPP_WEB_PORT: '9001',
      NUMETER_WEBAPP_DATABASE_PASSWORD: 'hunter2',
      NUMETER_WEBAPP_WEB_SECURE_COOKIES: 'yes',
    });
    assert.equal(c.web.port, 9001);
    assert.equal(c.web.secure_cookies, true);
    const printed = printableConfig(c);
    assert.match(printed, /port = 9001/);
    assert.doesNotMatch(printed, /hunter2/);
  });
  it('lists every problem at once', () => {
    assert.throws(
      () =>
        loadWebappConfig(undefined, false, {
          NUMETER_WEBAPP_WEB_PORT: 'eighty',
          NUMETER_WEBAPP_STORAGE_TIMEOUT: '0',
          NUMETER_WEBAPP_DATABASE_NAME: 'x;drop',
        }),
      (e: unknown) => e instanceof ConfigError && e.problems.length === 3 && e.problems.some((p) => p.includes('[web] port')),
    );
  });
  it('refuses a missing config file that was named explicitly', () => {
    assert.throws(() => loadWebappConfig('/nonexistent/numeter_webapp.cfg', true, {}), ConfigError);
  });
});
