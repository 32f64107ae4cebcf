import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { EVERYTHING } from '../src/repos/sql.js';
import { searchViews } from '../src/repos/view-search.js';
import { createTestEnv, type TestEnv } from './helpers.js';

/** Views in the table: "aaa 000 - Load" … in name order, then the few the tests look for. */
const BULK = 300;

describe('view search of the dashboard editor: indexed by name start, bounded elsewhere', () => {
  let t: TestEnv;
  const names = async (words: string[], limit = 30, maxScanned?: number) => {
    const found = await searchViews(t.deps.pool, EVERYTHING, words, limit, maxScanned);
    return { names: found.results.map((v) => v.name), truncated: found.truncated };
  };

  before(async () => {
    t = await createTestEnv();
    await t.deps.pool.query(
      `INSERT INTO views (name, comment) SELECT CONCAT('aaa ', LPAD(seq, 3, '0'), ' - Load'), '' FROM seq_0_to_${BULK - 1}`,
    );
    await t.deps.pool.query("INSERT INTO views (name, comment) VALUES ('Load overview', ''), ('zzz - special load', ''), ('50%_off', '')");
  });
  after(async () => t?.drop());

  it('names starting with the first word come first, then names holding it, each in name order', async () => {
    const found = await names(['LOAD'], 3);
    assert.deepEqual(found, { names: ['Load overview', 'aaa 000 - Load', 'aaa 001 - Load'], truncated: true });
    assert.deepEqual(await names(['load', 'special']), { names: ['zzz - special load'], truncated: false });
    assert.deepEqual(await names(['%_']), { names: ['50%_off'], truncated: false }, 'LIKE wildcards are characters');
  });

  it('a name start is found whatever the bound; a walk for names holding the words stops at it and says so', async () => {
    // Found by its start; names holding "zzz" further in were walked only 50 rows far: may be more.
    assert.deepEqual(await names(['zzz'], 30, 50), { names: ['zzz - special load'], truncated: true });
    assert.deepEqual(await names(['zzz']), { names: ['zzz - special load'], truncated: false });
    assert.deepEqual(await names(['special'], 30, 50), { names: [], truncated: true }, 'past the 50 rows walked');
    assert.deepEqual(await names(['special']), { names: ['zzz - special load'], truncated: false });
  });

  it("the name start is a range of migration 8's index, not a scan of the views", async () => {
    const [plan] = await t.deps.pool.query<RowDataPacket[]>(
      "EXPLAIN SELECT v.id, v.name FROM views v WHERE v.name LIKE 'zzz%' ORDER BY v.name, v.id LIMIT 31",
    );
    assert.deepEqual([plan[0].key, plan[0].type], ['views_name', 'range']);
  });
});
