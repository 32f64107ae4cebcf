import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSection } from '../../../common/munin/index.js';
import { samplesOf } from '../src/modules/munin/module.js';
import { multigraphNameProblem, parseResponse, parseValue } from '../src/modules/munin/parse.js';

describe('munin value parsing', () => {
  const table: Array<[string, ReturnType<typeof parseValue>]> = [
    ['42', { value: 42 }],
    ['-1.5', { value: -1.5 }],
    ['0.000181818181818182', { value: 0.000181818181818182 }],
    ['1.5e3', { value: 1500 }],
    ['U', { value: null }],
    ['1700000000:425', { value: 425, timestamp: 1700000000 }],
    ['1700000000:U', { value: null, timestamp: 1700000000 }],
    ['nan', { value: null, problem: '"nan" is not a number; taken as unknown' }],
    ['0x10', { value: null, problem: '"0x10" is not a number; taken as unknown' }],
  ];
  for (const [text, expected] of table) it(JSON.stringify(text), () => assert.deepEqual(parseValue(text), expected));
});

describe('munin config/fetch parsing', () => {
  it('splits multigraph sections, scopes field names per section, reports bad lines', () => {
    const parsed = parseResponse('diskstats', [
      'multigraph diskstats_latency',
      'graph_title Disk latency',
      'vda_avgwait.label vda',
      'multigraph diskstats_latency.vda',
      'graph_title Latency for vda',
      'avgwait.label avg',
      'avgwait.value 0.5',
      'multigraph ../etc',
      'evil.value 1',
      'multigraph ok_again',
      'this is not a line',
      'x.value 1',
      '# a comment',
      'bare.attribute',
    ]);
    assert.deepEqual([...parsed.sections.keys()], ['diskstats_latency', 'diskstats_latency.vda', 'ok_again']);
    assert.deepEqual(parsed.sections.get('diskstats_latency.vda')?.values, [{ field: 'avgwait', value: 0.5 }]);
    assert.equal(parsed.problems.length, 1, parsed.problems.join('\n'));
    assert.match(parsed.problems[0], /\.\.\/etc/);
    // "this is not a line" reads as a graph attribute named "this", as the master does.
    assert.equal(parsed.sections.get('ok_again')?.graph.get('this'), 'is not a line');
  });

  it('reports graph attributes in fetch output and sanitises field names', () => {
    const parsed = parseResponse('p', ['garbage line', 'bad-name.value 3', '9lives.value 4'], 'fetch');
    assert.equal(parsed.problems.length, 1);
    assert.deepEqual(
      parsed.sections.get('p')?.values.map((v) => v.field),
      ['bad_name', '_9lives'],
    );
  });

  it('rejects multigraph names the master rejects', () => {
    for (const bad of ['multigraph', '.x', 'x.', 'a..b', 'a/b', 'a b']) assert.ok(multigraphNameProblem(bad), bad);
    for (const good of ['diskstats_latency.sda', 'if-eth0', 'a:b']) assert.equal(multigraphNameProblem(good), null, good);
  });
});

describe('describeSection', () => {
  it('puts known attributes in place and keeps every other one', () => {
    const section = parseResponse('p', [
      'graph_title T',
      'graph_args --upper-limit 100 --base 1024',
      'graph_vlabel v',
      'graph_order b=other.x a',
      'graph_period minute',
      'update_rate 10',
      'a.label A',
      'a.type derive',
      'a.min 0',
      'a.max abc',
      'a.graph no',
      'a.colour 00ff00',
      'a.draw LINE9',
      'a.negative b-1',
      'a.extinfo hello',
      'b.value 5',
    ]).sections.get('p');
    assert.ok(section);
    const description = describeSection(section);
    assert.equal(description.base, 1024);
    assert.deepEqual(description.order, ['b', 'a']);
    assert.deepEqual(description.graph, { args: '--upper-limit 100 --base 1024', period: 'minute', update_rate: '10' });
    assert.deepEqual(description.fields.a, {
      label: 'A',
      type: 'DERIVE',
      min: 0,
      graph: false,
      colour: '00ff00',
      negative: 'b_1',
      extra: { max: 'abc', draw: 'LINE9', extinfo: 'hello' },
    });
    assert.deepEqual(description.fields.b, { label: 'b', type: 'GAUGE' }, 'a field with only values gets a description');
    assert.equal(description.category, 'other');
  });

  it('groups values by their own timestamps', () => {
    const samples = samplesOf(
      'p',
      [
        { field: 'a', value: 1 },
        { field: 'b', value: 2, timestamp: 1_700_000_000 },
        { field: 'a', value: 3, timestamp: 1_700_000_000 },
      ],
      1_800_000_000,
    );
    assert.deepEqual(samples, [
      { plugin: 'p', timestamp: 1_700_000_000, values: { b: 2, a: 3 } },
      { plugin: 'p', timestamp: 1_800_000_000, values: { a: 1 } },
    ]);
  });
});
