/**
 * The shared glob's own contract: what a bad pattern throws, and the work a caller is told
 * about (the storage's API budget and the engine's rules rely on both). Its matching is
 * checked against a RegExp reference in services/storage/test/api-glob.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGlob, GLOB_LIMITS, GlobError } from '../index.js';

describe('graphite-glob', () => {
  it('throws a GlobError naming the pattern and the problem', () => {
    const cases: Array<[string, RegExp]> = [
      ['x'.repeat(GLOB_LIMITS.maxPatternLength + 1), /longer than 256 characters/],
      ['?'.repeat(GLOB_LIMITS.maxWildcards + 1), /more than 64 wildcards/],
      ['a}', /unbalanced "}"/],
      ['[ab', /unbalanced "\["/],
      ['{a,{b}}', /nested "\{"/],
    ];
    for (const [pattern, problem] of cases) {
      assert.throws(
        () => compileGlob(pattern),
        (e: unknown) => e instanceof GlobError && e.pattern === pattern && problem.test(e.problem) && e.message.includes(e.problem),
        pattern.slice(0, 40),
      );
    }
  });

  it('tells the caller the steps of each match, and a throwing charge stops the match', () => {
    const charged: number[] = [];
    const glob = compileGlob('web[0-9]*', { charge: (steps) => charged.push(steps) });
    assert.equal(glob.matches('web12'), true);
    assert.equal(glob.matches('db1'), false);
    assert.equal(charged.length, 2);
    assert.ok(charged.every((steps) => steps >= 1));
    class Spent extends Error {}
    const limited = compileGlob('*x', {
      charge: () => {
        throw new Spent();
      },
    });
    assert.throws(() => limited.matches('abx'), Spent);
  });

  it('says whether a pattern names one thing', () => {
    assert.equal(compileGlob('web1').literal, true);
    assert.equal(compileGlob('web1').matches('web1'), true);
    assert.equal(compileGlob('web{1,2}').literal, false);
    assert.equal(compileGlob('web{1,2}').pattern, 'web{1,2}');
  });
});
