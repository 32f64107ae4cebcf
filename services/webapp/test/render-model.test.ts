import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataResponse, LegacyPluginInfo } from '../../../common/schemas/index.js';
import { applyCdef, CdefError, compileCdef } from '../src/render/cdef.js';
import { buildGraph, displayOrder } from '../src/render/model.js';
import { fieldColour, MUNIN_PALETTE } from '../src/render/palette.js';
import { parseMuninRange } from '../src/render/ranges.js';
import { seriesStats } from '../src/render/stats.js';
import type { DataInput, PluginInfoInput } from '../src/render/types.js';
import { formatValue, parseBase } from '../src/render/units.js';
import { buildViewGraph } from '../src/render/view.js';

// The storage's shapes must fit the model's structural inputs (compile-time check).
const asInput = (info: LegacyPluginInfo, data: DataResponse): [PluginInfoInput, DataInput] => [info, data];
void asInput;

const fields = new Set(['a', 'b', 'down', 'up']);
const evalCdef = (expr: string, values: Record<string, number>, time = 1000) =>
  compileCdef(expr, fields).evaluate((f) => values[f] ?? Number.NaN, time);

describe('cdef (munin RPN subset)', () => {
  const table: [string, Record<string, number>, number][] = [
    ['a,8,*', { a: 2 }, 16],
    ['a,b,+', { a: 2, b: 3 }, 5],
    ['a,b,-', { a: 2, b: 3 }, -1],
    ['a,b,/', { a: 3, b: 2 }, 1.5],
    ['a,3,%', { a: 7 }, 1],
    ['a,10,/', { a: 425 }, 42.5],
    ['a,UN,0,a,IF', { a: Number.NaN }, 0],
    ['a,UN,0,a,IF', { a: 4 }, 4],
    ['a,b,MIN', { a: 4, b: 2 }, 2],
    ['a,b,MAX', { a: 4, b: 2 }, 4],
    ['a,b,LT', { a: 1, b: 2 }, 1],
    ['a,b,GT', { a: 1, b: 2 }, 0],
    ['a,b,LE', { a: 2, b: 2 }, 1],
    ['a,b,GE', { a: 1, b: 2 }, 0],
    ['a,b,EQ', { a: 2, b: 2 }, 1],
    ['a,b,ADDNAN', { a: Number.NaN, b: 2 }, 2],
    ['a,b,ADDNAN', { a: 1, b: 2 }, 3],
    ['a,DUP,*', { a: 3 }, 9],
    ['a,b,EXC,-', { a: 1, b: 5 }, 4],
    ['a,b,POP', { a: 1, b: 5 }, 1],
    ['a,ISINF', { a: Number.POSITIVE_INFINITY }, 1],
    ['TIME', {}, 1000],
    ['-1.5e1,a,+', { a: 5 }, -10],
    ['down,8,*', { down: 125 }, 1000],
  ];
  for (const [expr, values, expected] of table) {
    it(`${expr} with ${JSON.stringify(values)} = ${expected}`, () => assert.equal(evalCdef(expr, values), expected));
  }

  it('unknown propagates through arithmetic and comparisons, UNKN pushes unknown', () => {
    assert.ok(Number.isNaN(evalCdef('a,1,+', { a: Number.NaN })));
    assert.ok(Number.isNaN(evalCdef('a,b,LT', { a: Number.NaN, b: 1 })));
    assert.ok(Number.isNaN(evalCdef('a,b,MAX', { a: Number.NaN, b: 1 })));
    assert.ok(Number.isNaN(evalCdef('UNKN', {})));
  });

  it('reports unknown operators, unknown fields and stack errors with the expression', () => {
    assert.throws(
      () => compileCdef('a,2,POW', fields),
      (e: Error) => e instanceof CdefError && /"POW" at position 3/.test(e.message) && /a,2,POW/.test(e.message),
    );
    assert.throws(() => compileCdef('zz,2,*', fields), /unknown operator or field "zz"/);
    assert.throws(() => compileCdef('a,+', fields), /"\+" at position 2 needs 2 operands, stack has 1/);
    assert.throws(() => compileCdef('a,b', fields), /leaves 2 values on the stack/);
    assert.throws(() => compileCdef('', fields), /empty expression/);
    assert.throws(() => compileCdef('a,,+', fields), /empty token/);
    assert.throws(() => compileCdef('constructor', fields), /unknown operator or field "constructor"/);
  });

  it('applies over series: non-finite results become null', () => {
    const cdef = compileCdef('a,b,/', fields);
    const out = applyCdef(
      cdef,
      new Map([
        ['a', [1, 2, null]],
        ['b', [2, 0, 1]],
      ]),
      3,
      (i) => i,
    );
    assert.deepEqual(out, [0.5, null, null]);
  });
});

const DATA = (datas: Record<string, (number | null)[]>): DataInput => ({ TS_start: 1_700_000_000, TS_step: 60, DATAS: datas });
const plugin = (infos: PluginInfoInput['Infos'], extra: Partial<PluginInfoInput> = {}): PluginInfoInput => ({
  Plugin: 'p',
  Title: 'P',
  Infos: infos,
  ...extra,
});

describe('graph model', () => {
  it('negative: the named field is drawn mirrored below zero with its partner colour, even with graph no', () => {
    const info = plugin(
      {
        down: { id: 'down', label: 'received', graph: 'no', cdef: 'down,8,*' },
        up: { id: 'up', label: 'bps', negative: 'down', cdef: 'up,8,*' },
      },
      { Order: 'down up', Vlabel: 'bits in (-) / out (+) per ${graph_period}' },
    );
    const g = buildGraph(info, DATA({ down: [1, 2, null], up: [3, 4, 5] }));
    assert.deepEqual(
      g.series.map((s) => [s.field, s.mirrored]),
      [
        ['down', true],
        ['up', false],
      ],
    );
    const [down, up] = g.series;
    assert.deepEqual(down.values, [8, 16, null]);
    assert.deepEqual(down.plotted, [-8, -16, null]);
    assert.deepEqual(up.plotted, [24, 32, 40]);
    assert.equal(down.pairedWith, 'up');
    assert.equal(up.colour, MUNIN_PALETTE[0]);
    assert.equal(g.vlabel, 'bits in (-) / out (+) per second');
    assert.deepEqual(g.errors, []);
  });

  it('graph no hides a field that is still usable by cdef; colours follow the palette in display order', () => {
    const info = plugin(
      {
        total: { id: 'total', label: 'total', graph: 'no' },
        used: { id: 'used', label: 'used' },
        pct: { id: 'pct', label: 'percent', cdef: 'used,total,/,100,*', colour: 'ff0000' },
        free: { id: 'free', label: 'free', colour: 'javascript:alert(1)' },
      },
      { Order: 'pct used' },
    );
    const g = buildGraph(info, DATA({ total: [200, 400], used: [50, 100], free: [1, 1] }));
    assert.deepEqual(
      g.series.map((s) => s.field),
      ['pct', 'used', 'free'],
    );
    assert.deepEqual(g.series[0].values, [25, 25]);
    assert.equal(g.series[0].colour, '#FF0000');
    assert.equal(g.series[1].colour, MUNIN_PALETTE[1]);
    assert.equal(g.series[2].colour, MUNIN_PALETTE[2], 'a colour that is not RRGGBB falls back to the palette');
  });

  it('stacks AREA + STACK cumulatively, LINESTACK as lines, unknowns leave the base unchanged', () => {
    const info = plugin(
      {
        user: { id: 'user', label: 'user', draw: 'AREA' },
        system: { id: 'system', label: 'system', draw: 'STACK' },
        idle: { id: 'idle', label: 'idle', draw: 'AREASTACK' },
        steal: { id: 'steal', label: 'steal', draw: 'LINESTACK' },
        load: { id: 'load', label: 'load', draw: 'LINE2' },
        hidden: { id: 'hidden', label: 'hidden', draw: 'LINE0' },
      },
      { Order: 'user system idle steal load hidden' },
    );
    const g = buildGraph(
      info,
      DATA({ user: [1, 2], system: [10, null], idle: [100, 200], steal: [1000, 1000], load: [5, 5], hidden: [0, 0] }),
    );
    const by = Object.fromEntries(g.series.map((s) => [s.field, s]));
    assert.deepEqual(by.user.plotted, [1, 2]);
    assert.deepEqual(by.system.plotted, [11, null]);
    assert.equal(by.system.kind, 'area', 'STACK takes the kind of what it stacks on');
    assert.equal(by.system.stackedOn, 0);
    assert.deepEqual(by.idle.plotted, [111, 202]);
    assert.deepEqual(by.steal.plotted, [1111, 1202]);
    assert.equal(by.steal.kind, 'line');
    assert.deepEqual(by.system.values, [10, null], 'legend values stay unstacked');
    assert.equal(by.load.lineWidth, 2);
    assert.equal(by.load.stacked, false);
    assert.equal(by.hidden.lineWidth, 0);
  });

  it('warning and critical ranges become threshold lines; bad ranges are reported', () => {
    const info = plugin({
      load: { id: 'load', label: 'load', warning: '5', critical: '10' },
      temp: { id: 'temp', label: 'temp', warning: '10:60', critical: ':80' },
      bad: { id: 'bad', label: 'bad', warning: 'lots' },
    });
    const g = buildGraph(info, DATA({ load: [1], temp: [20], bad: [0] }));
    assert.deepEqual(
      g.thresholds.map((t) => [t.field, t.level, t.value]),
      [
        ['load', 'warning', 5],
        ['load', 'critical', 10],
        ['temp', 'warning', 10],
        ['temp', 'warning', 60],
        ['temp', 'critical', 80],
      ],
    );
    assert.match(g.errors.join('\n'), /field "bad" warning: range "lots": "lots" is not a number/);
  });

  it('min/max discard out-of-range values, cdef errors and unknown draws are reported without failing the graph', () => {
    const info = plugin({
      a: { id: 'a', label: 'a', min: '0', max: '100' },
      b: { id: 'b', label: 'b', cdef: 'b,2,FOO' },
      c: { id: 'c', label: 'c', draw: 'DOTS' },
      d: { id: 'd', label: 'd', negative: 'nope' },
    });
    const g = buildGraph(info, DATA({ a: [-1, 50, 101], b: [1, 2, 3], c: [1, 1, 1], d: [1, 1, 1] }));
    assert.deepEqual(g.series[0].values, [null, 50, null]);
    assert.deepEqual(g.series[1].values, [null, null, null]);
    assert.match(g.errors.join('\n'), /field "b": cdef "b,2,FOO": unknown operator or field "FOO"/);
    assert.match(g.errors.join('\n'), /field "c": unknown draw "DOTS"/);
    assert.match(g.errors.join('\n'), /field "d": negative names unknown field "nope"/);
  });

  it('reads base, limits and logarithmic from graph_args; timestamps from TS_start/TS_step', () => {
    const g = buildGraph(
      plugin({ x: { id: 'x', label: 'x' } }, { Graph: { args: '--base 1024 -l 0 --upper-limit 200 --logarithmic' } }),
      DATA({ x: [1, 2, 3] }),
    );
    assert.equal(g.base, 1024);
    assert.equal(g.lowerLimit, 0);
    assert.equal(g.upperLimit, 200);
    assert.equal(g.logarithmic, true);
    assert.deepEqual(g.timestamps, [1_700_000_000, 1_700_000_060, 1_700_000_120]);
    assert.equal(buildGraph(plugin({}, { Base: '1024' }), DATA({})).base, 1024);
  });

  it('graph_total adds a legend row summing the drawn positive fields', () => {
    const g = buildGraph(
      plugin({ a: { id: 'a', label: 'a' }, b: { id: 'b', label: 'b' } }, { Graph: { total: 'Total' } }),
      DATA({ a: [1, null], b: [2, null] }),
    );
    const total = g.series.at(-1)!;
    assert.equal(total.label, 'Total');
    assert.deepEqual(total.values, [3, null]);
  });

  it('order: graph_order first (borrowed name=source entries keep the local name), then the rest', () => {
    assert.deepEqual(displayOrder('c a=other.x zz', ['a', 'b', 'c']), ['c', 'a', 'b']);
  });

  it('view graph: right axis, the view thresholds and unreachable sources', () => {
    const g = buildViewGraph({
      name: 'v',
      right_axis: ['h2 - load - load'],
      warning: 3,
      critical: null,
      infos: {
        Describ: '',
        Plugin: 'v',
        Title: 'v',
        Infos: {
          'h1 - cpu - user': { id: 'h1 - cpu - user', label: 'h1 user' },
          'h2 - load - load': { id: 'h2 - load - load', label: 'h2 load' },
        },
      },
      datas: DATA({ 'h1 - cpu - user': [1], 'h2 - load - load': [2] }),
      errors: { 'h3 - cpu - user': 'storage "x" unreachable' },
    });
    assert.deepEqual(
      g.series.map((s) => s.axis),
      ['left', 'right'],
    );
    assert.deepEqual(g.thresholds, [{ field: '', level: 'warning', value: 3, axis: 'left' }]);
    assert.deepEqual(g.errors, ['h3 - cpu - user: storage "x" unreachable']);
  });
});

describe('units, stats, ranges, colours', () => {
  it('formats with SI or binary prefixes', () => {
    assert.equal(formatValue(1536, 1024), '1.5 Ki');
    assert.equal(formatValue(1536, 1000), '1.54 k');
    assert.equal(formatValue(3 * 1024 ** 3, 1024), '3 Gi');
    assert.equal(formatValue(2.5e9, 1000), '2.5 G');
    assert.equal(formatValue(0.0042, 1000), '4.2 m');
    assert.equal(formatValue(-2048, 1024), '-2 Ki');
    assert.equal(formatValue(42, 1000), '42');
    assert.equal(formatValue(null, 1000), '-');
    assert.equal(parseBase('1000', '--base 1024 -l 0'), 1024);
    assert.equal(parseBase('1024', undefined), 1024);
    assert.equal(parseBase(undefined, ''), 1000);
  });

  it('stats ignore unknown points; last is the last known value', () => {
    assert.deepEqual(seriesStats([null, 2, 4, null, 6, null]), { min: 2, avg: 4, max: 6, last: 6 });
    assert.deepEqual(seriesStats([null, null]), { min: null, avg: null, max: null, last: null });
  });

  it('parses munin ranges', () => {
    assert.deepEqual(parseMuninRange('5'), { max: 5 });
    assert.deepEqual(parseMuninRange('10:60'), { min: 10, max: 60 });
    assert.deepEqual(parseMuninRange(':80'), { max: 80 });
    assert.deepEqual(parseMuninRange('-5:'), { min: -5 });
    assert.throws(() => parseMuninRange('1:2:3'), /not max, min:max/);
  });

  it('only accepts RRGGBB colours', () => {
    assert.equal(fieldColour('00ff00', 5), '#00FF00');
    assert.equal(fieldColour('#00ff00"/><script>', 0), MUNIN_PALETTE[0]);
    assert.equal(fieldColour(undefined, MUNIN_PALETTE.length + 1), MUNIN_PALETTE[1]);
  });
});
