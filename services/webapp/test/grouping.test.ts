import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { groupBy } from '../src/grouping.js';
import { repoRoot } from '../src/pages/assets.js';

/** `m.set(k, [...(m.get(k) ?? []), v])`: a group's list copied for each item added (quadratic). */
const COPY_PER_ADD = /\[\s*\.\.\.\s*\(?\s*[\w.]+\.get\([^)]*\)\s*\?\?\s*\[\s*\]\s*\)?\s*,/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'vendor' ? [] : sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('no quadratic builders in the webapp', () => {
  it('groupBy keeps order, looks at each item once, and one group of 10,000 is one list', () => {
    const hosts = Array.from({ length: 10_000 }, (_, i) => ({ id: i, group: i % 1000 === 7 ? 'B' : 'A' }));
    let keys = 0;
    const groups = groupBy(hosts, (h) => {
      keys++;
      return h.group;
    });
    assert.equal(keys, hosts.length, 'one key per item');
    assert.deepEqual([...groups.keys()], ['A', 'B']);
    assert.equal(groups.get('B')?.length, 10);
    const a = groups.get('A') ?? [];
    assert.equal(a.length, 9_990);
    assert.ok(
      a.every((h, i) => i === 0 || h.id > a[i - 1].id),
      'items in their order',
    );
  });

  it('no builder copies a group list for each item it adds (src/ and client/)', () => {
    const root = join(repoRoot(), 'services/webapp');
    const offenders = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'client'))].flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) => (COPY_PER_ADD.test(line) ? [`${file.slice(root.length + 1)}:${i + 1}: ${line.trim()}`] : [])),
    );
    assert.deepEqual(offenders, [], 'use groupBy (src/grouping.ts) or push onto the group');
    // the pattern itself catches the shape it is meant for
    assert.ok(COPY_PER_ADD.test('right.set(r.view_id, [...(right.get(r.view_id) ?? []), r.source_id]);'));
    assert.ok(COPY_PER_ADD.test('pluginsOf.set(p.hostId, [...(pluginsOf.get(p.hostId) ?? []), p]);'));
    assert.ok(!COPY_PER_ADD.test('const all = [...rows, ...chosen];'));
  });
});
