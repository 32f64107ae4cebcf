/**
 * Graphite globs: the automaton against a reference (each glob turned into an anchored
 * RegExp, fine for the small random cases here), the limits on pattern size, and the
 * per-request work budget that stops a costly pattern with a 400 instead of a stall.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { BadParameterError, LimitExceededError } from '../src/api/errors.js';
import { compileNode } from '../src/api/glob.js';
import { chargeGlobWork, MAX_GLOB_STEPS, requestBudgetMiddleware } from '../src/api/request-budget.js';

function reference(pattern: string): RegExp {
  let out = '';
  let inGroup = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^' : ''}${body}]`;
      i = close;
    } else if (c === '{') {
      out += '(?:';
      inGroup = true;
    } else if (c === '}') {
      out += ')';
      inGroup = false;
    } else if (c === ',' && inGroup) out += '|';
    else out += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 'su');
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('Graphite globs', () => {
  it('match exactly what the equivalent regular expression matches', () => {
    const next = random(42);
    const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
    const pieces = ['a', 'b', 'c', '*', '?', '[ab]', '[!a]', '[a-b]', '{a,b}', '{a,}', '{ab*,c?,}', '_', 'é'];
    for (let round = 0; round < 3000; round++) {
      const pattern = Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick(pieces)).join('');
      const expected = reference(pattern);
      const matcher = compileNode(pattern, 'query');
      for (let k = 0; k < 8; k++) {
        const name = Array.from({ length: Math.floor(next() * 7) }, () => pick(['a', 'b', 'c', '_', 'é'])).join('');
        assert.equal(matcher.matches(name), expected.test(name), `${pattern} on ${JSON.stringify(name)}`);
      }
    }
  });

  it('treats a code point as one character', () => {
    assert.equal(compileNode('?', 'query').matches('💥'), true);
    assert.equal(compileNode('a[💥x]b', 'query').matches('a💥b'), true);
  });

  it('refuses patterns over the size limits with a 400 naming the parameter and the limit', () => {
    const attack = `{${Array.from({ length: 128 }, () => '*'.repeat(216)).join(',')}}`;
    const cases: Array<[string, RegExp]> = [
      [attack, /longer than 256 characters/],
      [`{${Array.from({ length: 201 }, (_, i) => i).join(',')}}`.slice(0, 256), /unbalanced|more than 200 alternatives/],
      [
        `{${Array.from({ length: 120 }, () => 'a').join(',')},${Array.from({ length: 90 }, () => 'b').join(',')}}`,
        /more than 200 alternatives|longer/,
      ],
      ['?*'.repeat(33), /more than 64 wildcards/],
      ['{a,{b,c}}', /nested/],
    ];
    for (const [pattern, message] of cases) {
      assert.throws(
        () => compileNode(pattern, 'target'),
        (e: unknown) => e instanceof BadParameterError && e.parameter === 'target' && message.test(e.message),
        pattern.slice(0, 60),
      );
    }
    // Value lists multiply nothing any more: three lists of seven are 21 states, not 343 patterns.
    assert.equal(compileNode('{a,b,c,d,e,f,g}{a,b,c,d,e,f,g}{a,b,c,d,e,f,g}', 'query').matches('gag'), true);
  });

  it('charges each request for its matching work and stops it at the budget', async () => {
    const matcher = compileNode(`*${'?*'.repeat(31)}z`, 'query');
    const names = Array.from({ length: 2000 }, (_, i) => `${'x'.repeat(190)}${i}`);
    let outcome: unknown;
    await new Promise<void>((resolve) => {
      requestBudgetMiddleware()({} as never, new EventEmitter() as never, () => {
        try {
          for (let round = 0; round < 100; round++) for (const name of names) matcher.matches(name);
          outcome = 'finished';
        } catch (error) {
          outcome = error;
        }
        resolve();
      });
    });
    assert.ok(outcome instanceof LimitExceededError, String(outcome));
    assert.equal(outcome.parameter, 'query');
    assert.match(outcome.message, new RegExp(`more than ${MAX_GLOB_STEPS} matching steps`));
    // Outside a request nothing is counted (the budget belongs to requests).
    chargeGlobWork(MAX_GLOB_STEPS * 2, 'query');
  });
});
