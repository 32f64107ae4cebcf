import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lineScratch, parseAnyLine, parseCarbonLine, parseCarbonLineIn, pathHash } from '../src/modules/carbon/line.js';
import { NameMapper, parseTemplates, TemplateError } from '../src/modules/carbon/names.js';
import { parsePythonFloat } from '../src/modules/carbon/number.js';
import { PathTable } from '../src/modules/carbon/path-table.js';

describe('carbon values: Python float() semantics', () => {
  // What python3 -c 'float(x)' answers (checked by hand with Python 3.11): value, or undefined for ValueError.
  const table: Array<[string, number | undefined]> = [
    ['1', 1],
    ['-1.5', -1.5],
    ['+2', 2],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1E-2', 0.01],
    ['1_000', 1000],
    ['1_000.5_5', 1000.55],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['1__0', undefined],
    ['_1', undefined],
    ['1_', undefined],
    ['0x10', undefined],
    ['0b1', undefined],
    ['', undefined],
    ['.', undefined],
    ['1e', undefined],
    ['e3', undefined],
    ['1.2.3', undefined],
    ['12abc', undefined],
    ['infinit', undefined],
  ];
  for (const [text, expected] of table) {
    test(JSON.stringify(text), () => assert.equal(parsePythonFloat(text), expected));
  }
  test('nan in any case is NaN', () => {
    assert.ok(Number.isNaN(parsePythonFloat('NaN') as number));
    assert.ok(Number.isNaN(parsePythonFloat('-nan') as number));
  });
});

describe('carbon lines', () => {
  const table: Array<[string, unknown]> = [
    ['a.b.c 1.5 1700000000', { path: 'a.b.c', value: 1.5, timestamp: 1700000000 }],
    ['a.b.c\t2\t1700000000.9\r', { path: 'a.b.c', value: 2, timestamp: 1700000000 }],
    ['  a.b.c   3  ', { path: 'a.b.c', value: 3, timestamp: null }],
    ['a.b.c 3 -1', { path: 'a.b.c', value: 3, timestamp: null }],
    ['a.b.c 3 -1.5', { path: 'a.b.c', value: 3, timestamp: null }],
    ['a.b.c nan 1700000000', { problem: 'nan_value' }],
    ['a.b.c inf 1700000000', { problem: 'value_out_of_range' }],
    ['a.b.c 1e999 1700000000', { problem: 'value_out_of_range' }],
    ['a.b.c abc 1700000000', { problem: 'bad_value' }],
    ['a.b.c 1 1700000000000', { problem: 'bad_timestamp' }],
    ['a.b.c 1 12', { problem: 'bad_timestamp' }],
    ['a.b.c 1 yesterday', { problem: 'bad_timestamp' }],
    ['a.b.c', { problem: 'malformed' }],
    ['a.b.c 1 2 3', { problem: 'malformed' }],
    ['a.b;tag=1 1 1700000000', { problem: 'tagged' }],
    ['', null],
    ['   \r', null],
  ];
  for (const [line, expected] of table) test(JSON.stringify(line), () => assert.deepEqual(parseCarbonLine(line), expected));
});

describe('carbon names', () => {
  test('default: first node host, last data source, the nodes between the plugin', () => {
    const mapper = new NameMapper({ prefix: '', templates: [] });
    assert.deepEqual(mapper.map('myhost.memory.memory-used'), { host: 'myhost', plugin: 'memory', ds: 'memory-used' });
    assert.deepEqual(mapper.map('myhost.load.load.shortterm'), { host: 'myhost', plugin: 'load.load', ds: 'shortterm' });
    assert.equal(mapper.map('myhost.value'), 'unmapped');
  });

  test('a prefix is stripped first', () => {
    const mapper = new NameMapper({ prefix: 'collectd.', templates: [] });
    assert.deepEqual(mapper.map('collectd.web1.cpu-0.cpu-user'), { host: 'web1', plugin: 'cpu-0', ds: 'cpu-user' });
    assert.deepEqual(mapper.map('web1.cpu-0.cpu-user'), { host: 'web1', plugin: 'cpu-0', ds: 'cpu-user' });
  });

  test('unsafe nodes are refused: empty, glob, quotes, slashes, non-ASCII, __proto__, too long', () => {
    const mapper = new NameMapper({ prefix: '', templates: [] });
    for (const path of [
      'a..b.c',
      '.a.b.c',
      'a.b.c.',
      'a.b*.c',
      'a.{b}.c',
      "a.b'.c",
      'a.b".c',
      'a.b/c.d',
      'a.b\\c.d',
      'a.b(c).d',
      'a.b,c.d',
      'a.\u00e9.c',
      'a.__proto__.c',
      `a.${'x'.repeat(201)}.c`,
    ])
      assert.equal(mapper.map(path), 'unsafe_name', path);
  });

  test('templates: filter, roles, skip, a trailing * for the rest, the poller host when there is no host node', () => {
    const templates = parseTemplates('servers.* .host.plugin.ds*, stats.* .plugin.ds, skip.host.skip.plugin.ds');
    const mapper = new NameMapper({ prefix: '', templates });
    assert.deepEqual(mapper.map('servers.web1.nginx.requests.get'), { host: 'web1', plugin: 'nginx', ds: 'requests.get' });
    assert.deepEqual(mapper.map('stats.api.latency'), { host: null, plugin: 'api', ds: 'latency' });
    assert.equal(mapper.map('stats.api.latency.p99'), 'unmapped', 'no * : the node count must match');
    // No filter: the template for whatever no filter took.
    assert.deepEqual(mapper.map('app.db1.x.mysql.qps'), { host: 'db1', plugin: 'mysql', ds: 'qps' });
  });

  test('bad templates are refused with what is wrong', () => {
    assert.throws(() => parseTemplates('host.measurement.field'), TemplateError);
    assert.throws(() => parseTemplates('host.plugin'), /no ds node/);
    assert.throws(() => parseTemplates('a/b host.plugin.ds'), /filter node/);
    assert.throws(() => parseTemplates('a b c'), /not "\[filter\] template"/);
  });
});

describe('carbon hot path: read in place, same answers', () => {
  test('the decimal fast path gives the very double Number() gives', () => {
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    const mismatches: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const digits = String(random()) + String(random());
      const length = 1 + (random() % 15);
      const point = random() % (length + 1);
      const body = digits.slice(0, length);
      const text = `${random() % 2 ? '-' : ''}${body.slice(0, point)}.${body.slice(point)}`;
      const got = parsePythonFloat(text);
      if (!Object.is(got, Number(text))) mismatches.push(`${text}: ${got} vs ${Number(text)}`);
    }
    for (const text of ['0.150000', '-0.0', '5.', '.5', '123456789012345', '1234567890123456', '0.1234567890123456789']) {
      if (!Object.is(parsePythonFloat(text), Number(text))) mismatches.push(text);
    }
    assert.deepEqual(mismatches, []);
  });

  test('a line is read inside a larger text without looking past its end', () => {
    const text = 'x.y.z 1 1700000000\na.b.c 2.5\na.b;t=1 1\n';
    const out = lineScratch();
    assert.equal(parseCarbonLineIn(text, 0, 18, out), 'ok');
    assert.deepEqual([text.slice(out.pathStart, out.pathEnd), out.value, out.timestamp], ['x.y.z', 1, 1700000000]);
    assert.equal(parseCarbonLineIn(text, 19, 28, out), 'ok');
    assert.deepEqual([text.slice(out.pathStart, out.pathEnd), out.value, out.timestamp], ['a.b.c', 2.5, null]);
    assert.equal(parseCarbonLineIn(text, 19, 24, out), 'malformed', 'the value past the end is not seen');
    assert.equal(parseCarbonLineIn(text, 29, 38, out), 'tagged');
    assert.equal(parseCarbonLineIn('a.b.c 1_', 0, 7, out), 'ok', '"1" before the end, the "_" after it');
    assert.equal(pathHash(text, 0, 5), pathHash('x.y.z', 0, 5));
  });

  test('the one-pass reading of the common line agrees with the field-by-field one on 50,000 lines near it', () => {
    // Lines built from pieces next to the common form: every field shape the fast path
    // takes, and the ones it must leave to the general reading (which decides them).
    const paths = ['a.b.c', 'h1.cpu-0.user', 'x', 'a;t=1.b', 'caf\u00e9.p.v', 'a\u0000b.c', '', 'a.b.c\t'];
    const values = [
      '1',
      '-1',
      '0',
      '-0',
      '007',
      '1.5',
      '-0.0',
      '0.150000',
      '1.',
      '.5',
      '-',
      '1e3',
      '1_0',
      'nan',
      'inf',
      '123456789012345',
      '1234567890123456',
      '12345678901234.5',
      '1.2.3',
      '+1',
      '9'.repeat(15),
    ];
    const stamps = [
      '1700000000',
      '946684800',
      '946684799',
      '4102444800',
      '4102444801',
      '-1',
      '1700000000.5',
      '01700000000',
      '17e8',
      '',
      '1700000000\r',
      '1700000000 x',
      'abc',
    ];
    const seps = [' ', ' ', ' ', '  ', '\t'];
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const mismatches: string[] = [];
    const general = lineScratch();
    const either = lineScratch();
    for (let k = 0; k < 50_000; k++) {
      const stamp = stamps[random(stamps.length)];
      const sep = seps[random(seps.length)];
      const line = `${paths[random(paths.length)]}${sep}${values[random(values.length)]}${stamp === '' ? '' : `${seps[random(seps.length)]}${stamp}`}`;
      const text = `pad\n${line}\npad`;
      const expected = parseAnyLine(text, 4, 4 + line.length, general);
      const got = parseCarbonLineIn(text, 4, 4 + line.length, either);
      const fields = (o: typeof general) => [o.pathStart, o.pathEnd, o.pathHash, o.value, o.timestamp];
      if (got !== expected || (got === 'ok' && !fields(either).every((v, i) => Object.is(v, fields(general)[i]))))
        mismatches.push(`${JSON.stringify(line)}: ${got} ${fields(either)} vs ${expected} ${fields(general)}`);
      if (mismatches.length > 5) break;
    }
    assert.deepEqual(mismatches, []);
  });

  test('the path table finds paths by range, and a full bucket refuses more', () => {
    const table = new PathTable<number>();
    assert.ok(table.set('a.b.c', 7, 1));
    assert.ok(table.set('a.b.d', 7, 2), 'a collision shares the bucket');
    const text = 'xx a.b.d 1\n';
    assert.equal(table.get(text, 3, 8, 7), 2);
    assert.equal(table.get(text, 3, 7, 7), undefined, 'a prefix is not the path');
    assert.equal(table.get(text, 3, 8, 8), undefined);
    for (let i = 0; i < 6; i++) assert.ok(table.set(`p${i}`, 7, i));
    assert.equal(table.set('one.too.many', 7, 99), false);
    assert.equal(table.size, 8);
  });
});
