import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAtTime } from '../src/api/attime.js';
import { BadParameterError } from '../src/api/errors.js';
import { compileNode } from '../src/api/glob.js';

const NOW = 1_700_000_030;

describe('from/until parsing (Graphite at-time forms)', () => {
  const valid: Array<[string, number]> = [
    ['1700000000', 1_700_000_000],
    ['now', NOW],
    ['-1h', NOW - 3600],
    ['-7d', NOW - 7 * 86_400],
    ['-1h30min', NOW - 5400],
    ['-90s', NOW - 90],
    ['-2w', NOW - 14 * 86_400],
    ['-1mon', NOW - 30 * 86_400],
    ['-1y', NOW - 365 * 86_400],
    ['-3minutes', NOW - 180],
    ['-2hours', NOW - 7200],
    ['now-1d', NOW - 86_400],
    ['now+5min', NOW + 300],
    ['NOW-1D', NOW - 86_400],
    ['20231114', Date.UTC(2023, 10, 14) / 1000],
    ['12:30_20231114', Date.UTC(2023, 10, 14, 12, 30) / 1000],
    ['20231114-1d', Date.UTC(2023, 10, 13) / 1000],
    ['0', 0],
    ['20231332', 20_231_332], // 8 digits but no valid date: epoch seconds, as Graphite
  ];
  for (const [text, expected] of valid) {
    it(`reads ${JSON.stringify(text)}`, () => assert.equal(parseAtTime(text, NOW, 'from'), expected));
  }

  const invalid = ['', '-1m', '-1', 'yesterday', '-1h-', '1.5', '-h', '25:00_20231114', '99999999999', 'now-', '<b>', '-1x'];
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text)} naming the parameter`, () => {
      assert.throws(
        () => parseAtTime(text, NOW, 'until'),
        (e: unknown) => e instanceof BadParameterError && e.parameter === 'until' && e.status === 400,
      );
    });
  }
});

describe('Graphite globs and targets', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', 'anything', true],
    ['web*', 'web01', true],
    ['web*', 'db01', false],
    ['web0?', 'web01', true],
    ['web0?', 'web012', false],
    ['web0[1-3]', 'web02', true],
    ['web0[!1-3]', 'web02', false],
    ['{load,cpu}', 'cpu', true],
    ['{load,cpu}', 'df', false],
    ['if_{eth0,eth1}_*', 'if_eth1_errors', true],
    ['*a*b*', 'xxaxxbxx', true],
    ['*a*b*', 'xxbxxaxx', false],
    ['exact', 'exact', true],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${name}`, () => {
      assert.equal(compileNode(pattern, 'query').matches(name), expected);
    });
  }

  it('matches pathological globs in linear time', () => {
    const started = process.hrtime.bigint();
    assert.equal(compileNode('*a*a*a*a*a*a*a*a*b', 'query').matches('a'.repeat(200)), false);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 200);
  });

  it('refuses oversized value lists and bad patterns with 400 naming the parameter', () => {
    for (const pattern of [`{${Array.from({ length: 201 }, (_, i) => i).join(',')}}`, '{a,b', 'a}', '[abc']) {
      assert.throws(
        () => compileNode(pattern, 'query'),
        (e: unknown) => e instanceof BadParameterError && e.parameter === 'query',
      );
    }
  });
});
