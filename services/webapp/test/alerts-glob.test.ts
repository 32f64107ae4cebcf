import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatches } from '../src/rest/alerts-glob.js';

describe('silence host globs (Graphite syntax)', () => {
  it('matches *, ?, classes, negated classes and brace lists', () => {
    const cases: [string, string, boolean][] = [
      ['web1.example', 'web1.example', true],
      ['web1.example', 'web10.example', false],
      ['web*', 'web10.example', true],
      ['web*', 'db1', false],
      ['web?.example', 'web1.example', true],
      ['web?.example', 'web10.example', false],
      ['db[0-9].example', 'db7.example', true],
      ['db[!0-9].example', 'db7.example', false],
      ['db[!0-9].example', 'dbx.example', true],
      ['{web,db}1.*', 'db1.example', true],
      ['{web,db}1.*', 'mail1.example', false],
      ['*.example', '.example', true],
      ['a.b', 'axb', false],
    ];
    for (const [glob, name, expected] of cases) assert.equal(globMatches(glob, name), expected, `${glob} ~ ${name}`);
  });

  it('a glob full of stars against a long name stays a bounded dynamic programme', () => {
    const glob = `${'*a'.repeat(60)}b`;
    assert.equal(globMatches(glob, 'a'.repeat(300)), false);
    assert.equal(globMatches(glob, `${'a'.repeat(299)}b`), true);
  });
});
