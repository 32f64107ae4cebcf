import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../../common/logging/index.js';
import { loadWebappConfig } from '../src/config.js';
import { createPool } from '../src/db/pool.js';
import { buildDeps } from '../src/deps.js';
import { WebappServer } from '../src/server.js';
import { createTestDatabase } from './helpers.js';

describe('webapp server', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.drop());

  it('migrates, serves with the UI routers mounted, and stops idempotently', async () => {
    const config = loadWebappConfig(undefined, false, { ...db.env, NUMETER_WEBAPP_WEB_PORT: '0' });
    const deps = buildDeps(config, { logger: silentLogger() });
    const server = new WebappServer(deps);
    const address = await server.start();
    assert.equal(address.address, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${address.port}`;
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), {
        status: 'ok',
        database: 'ok',
        storage: { requests: 0, unavailable: 0, notFound: 0, rejected: 0, retried: 0, gaveUp: 0 },
      });
      const rest = await fetch(`${base}/rest/hosts/`);
      assert.equal(rest.status, 401);
      assert.deepEqual(await rest.json(), { error: 'authentication required' });
      assert.equal((await fetch(`${base}/rest/nothing-here/`, { headers: { authorization: 'Bearer nmt_x' } })).status, 401);
    } finally {
      await server.stop(1000);
      await server.stop(1000);
      await deps.close();
    }
    assert.equal(server.stats().started, 1);
  });

  it('stop leaves a database pool its caller passed in open: whoever opens a pool closes it', async () => {
    const config = loadWebappConfig(undefined, false, { ...db.env, NUMETER_WEBAPP_WEB_PORT: '0' });
    const pool = createPool(config.database);
    try {
      const deps = buildDeps(config, { logger: silentLogger(), pool });
      const server = new WebappServer(deps);
      await server.start();
      await server.stop(1000);
      await deps.close();
      const [rows] = await pool.query('SELECT 1 AS one');
      assert.deepEqual(rows, [{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });
});
