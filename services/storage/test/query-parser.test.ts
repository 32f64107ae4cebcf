import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadParameterError } from '../src/api/errors.js';
import { parseTarget } from '../src/query/parser.js';
import { pyFloat, pyG } from '../src/query/pyformat.js';
import { compileUserRegex } from '../src/query/regex.js';
import { memoryContext, run } from './query-fixtures.js';

/** The tree as plain data (keyword maps are null-prototype objects). */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));
const isTargetError = (e: unknown) => e instanceof BadParameterError && e.parameter === 'target';

describe('query engine: target parser', () => {
  it('reads Grafana targets, keeping strings raw as graphite-web does', () => {
    assert.deepEqual(plain(parseTarget('aliasSub(constantLine(100), "(^.*$)", "\\1 A")')), {
      type: 'call',
      name: 'aliasSub',
      args: [
        { type: 'call', name: 'constantLine', args: [{ type: 'number', value: 100, integer: true }], kwargs: {} },
        { type: 'string', value: '(^.*$)' },
        { type: 'string', value: '\\1 A' },
      ],
      kwargs: {},
    });
    assert.deepEqual(parseTarget('web01.{load,cpu}.*'), { type: 'path', text: 'web01.{load,cpu}.*' });
  });

  it('reads numbers, keywords, keyword arguments and pipes', () => {
    const call = parseTarget('summarize(a.b.c, "1h", func="max", alignToFrom=true) | scale(-1.5e3) | keepLastValue(inf)');
    assert.equal(call.type, 'call');
    if (call.type !== 'call') return;
    assert.equal(call.name, 'keepLastValue');
    assert.deepEqual(call.args[1], { type: 'number', value: Number.POSITIVE_INFINITY, integer: false });
    const scale = call.args[0];
    assert.ok(scale.type === 'call' && scale.name === 'scale');
    if (scale.type !== 'call') return;
    assert.deepEqual(scale.args[1], { type: 'number', value: -1500, integer: false });
    const summarize = scale.args[0];
    assert.ok(summarize.type === 'call');
    if (summarize.type !== 'call') return;
    assert.deepEqual(plain(summarize.kwargs), { func: { type: 'string', value: 'max' }, alignToFrom: { type: 'boolean', value: true } });
    // A number followed by anything but "," or ")" is a path node, as in graphite-web's grammar.
    assert.deepEqual(plain(parseTarget('f(5xx.count, 2)')), {
      type: 'call',
      name: 'f',
      args: [
        { type: 'path', text: '5xx.count' },
        { type: 'number', value: 2, integer: true },
      ],
      kwargs: {},
    });
    assert.deepEqual(parseTarget('a\\(b\\).c'), { type: 'path', text: 'a(b).c' });
  });

  it('refuses malformed targets with a 400 naming the target', () => {
    assert.deepEqual(parseTarget('5'), { type: 'path', text: '5' });
    for (const bad of [
      'sum(',
      'a.b)',
      '"x"',
      'a | "x"',
      'f("x)',
      'f(a b)',
      'a..b',
      'a.',
      'f(x=1, 2)',
      '1(2)',
      `${'f('.repeat(50)}a${')'.repeat(50)}`,
    ]) {
      assert.throws(() => parseTarget(bad), isTargetError, bad);
    }
  });

  it('parses large hostile inputs in linear time (no backtracking)', { timeout: 20_000 }, () => {
    // 64 KB inputs (the former number regex re-scanned the rest of the text at every digit:
    // 0.6 s for 62 KB); requests are capped at 4096 characters, the scanner does not need it.
    const big = 70_000;
    const parse = (text: string) => parseTarget(text, 'target', big);
    const digits = '9'.repeat(64_000);
    assert.throws(() => parse(`${digits}(`), isTargetError);
    assert.deepEqual(parse(digits), { type: 'path', text: digits });
    const args = parse(`f(${'1,'.repeat(32_000)}1)`);
    assert.ok(args.type === 'call' && args.args.length === 32_001);
    assert.throws(() => parse(`f(${'1 '.repeat(32_000)}`), isTargetError);
    assert.throws(() => parse(`f(${'{a,'.repeat(21_000)}`), isTargetError);
    assert.throws(() => parse(`f(${'"\\'.repeat(32_000)}`), isTargetError);
    assert.throws(() => parse(`f(${'a.'.repeat(32_000)}`), isTargetError);
    assert.throws(() => parseTarget('x'.repeat(4097)), /longer than 4096/);
  });
});

describe('query engine: user regexes (RE2) and Python formats', () => {
  it('aliasSub with a catastrophic-backtracking regex answers at once', { timeout: 20_000 }, async () => {
    const long = 'a'.repeat(200);
    const [s] = await run(`aliasSub(alias(constantLine(1),"${long}"),".*.*.*.*.*.*.*!","x")`, memoryContext({}));
    assert.equal(s.name, long);
    const [t] = await run(`aliasSub(alias(constantLine(1),"${long}!"),".*.*.*.*.*.*.*!","x")`, memoryContext({}));
    assert.equal(t.name, 'x');
  });

  it('expands Python replacement templates and refuses what RE2 cannot run', () => {
    assert.equal(compileUserRegex('f', '^(\\w+)\\.(?P<rest>.*)$', '\\g<rest>-\\1-\\g<0>').sub('a.b.c'), 'b.c-a-a.b.c');
    assert.equal(compileUserRegex('f', '(^.*$)', '\\1 A').sub('x.y'), 'x.y A');
    assert.equal(compileUserRegex('f', '(^.*$)', '\\\\1 A').sub('x.y'), '\\1 A');
    assert.equal(compileUserRegex('f', 'b', '').sub('abcb'), 'ac');
    for (const [regex, template] of [
      ['(a)\\1', ''],
      ['(?=a)', ''],
      ['(x', ''],
      ['(a)', '\\2'],
      ['(a)', '\\g<nope>'],
      ['(a)', '\\q'],
    ]) {
      assert.throws(() => compileUserRegex('aliasSub', regex, template), isTargetError, `${regex} ${template}`);
    }
  });

  it('formats numbers as Python does in series names', () => {
    const g: Array<[number, string]> = [
      [100, '100'],
      [0.5, '0.5'],
      [1e6, '1e+06'],
      [123456, '123456'],
      [1234567, '1.23457e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [-2.5, '-2.5'],
      [1 / 3, '0.333333'],
    ];
    for (const [x, text] of g) assert.equal(pyG(x), text, String(x));
    const repr: Array<[number, string]> = [
      [100, '100.0'],
      [0.1, '0.1'],
      [1e16, '1e+16'],
      [1e-5, '1e-05'],
      [123.456, '123.456'],
      [-0, '-0.0'],
    ];
    for (const [x, text] of repr) assert.equal(pyFloat(x), text, String(x));
  });
});
