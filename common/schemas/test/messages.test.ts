import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  encodeMessage,
  idempotencyKeys,
  isSafeName,
  jsonDepth,
  type Message,
  messageId,
  nameProblem,
  PluginInfoMessage,
  toFieldName,
  toLegacyHostInfo,
  toLegacyPluginInfo,
} from '../index.js';

const TS = 1_700_000_000;
const data: Message = {
  v: 1,
  kind: 'data',
  hostId: 'web-1',
  points: [{ plugin: 'load', timestamp: TS, values: { load: 0.5, missing: null } }],
};

describe('safe names', () => {
  const cases: [string, string | null][] = [
    ['load', null],
    ['diskstats_latency.sda', null],
    ['1349273795-285b1e6f96ca7fa73d2130653ee63699', null],
    ['', 'is empty'],
    ['..', 'is made only of dots'],
    ['.', 'is made only of dots'],
    ['a/b', 'contains "/", "\\", NUL or a control character'],
    ['a\\b', 'contains "/", "\\", NUL or a control character'],
    ['a\u0000b', 'contains "/", "\\", NUL or a control character'],
    ['a\nb', 'contains "/", "\\", NUL or a control character'],
    [' a', 'starts or ends with white space'],
    ['x'.repeat(201), 'is longer than 200 bytes in UTF-8'],
    // The limit is in UTF-8 bytes: a file name component is at most 255 bytes, whatever its characters.
    ['é'.repeat(100), null],
    ['é'.repeat(100) + 'x', 'is longer than 200 bytes in UTF-8'],
    ['€'.repeat(66) + 'xx', null],
    ['€'.repeat(67), 'is longer than 200 bytes in UTF-8'],
    ['😀'.repeat(50), null],
    ['😀'.repeat(50) + 'x', 'is longer than 200 bytes in UTF-8'],
    ['a\u0085b', 'contains "/", "\\", NUL or a control character'],
    ['a\u009fb', 'contains "/", "\\", NUL or a control character'],
    ['a\ud800b', 'contains a lone UTF-16 surrogate (not valid Unicode)'],
    ['\udc00', 'contains a lone UTF-16 surrogate (not valid Unicode)'],
  ];
  for (const [name, problem] of cases) {
    it(`${JSON.stringify(name.slice(0, 20))} → ${problem ?? 'ok'}`, () => {
      assert.equal(nameProblem(name), problem);
      assert.equal(isSafeName(name), problem === null);
    });
  }
  it('toFieldName maps anything to a munin field name', () => {
    assert.equal(toFieldName('vm-01.example'), 'vm_01_example');
    assert.equal(toFieldName('9lives'), '_9lives');
    assert.equal(toFieldName('../../etc'), '______etc');
    assert.equal(toFieldName(''), '_');
  });
});

describe('decodeMessage', () => {
  it('round-trips a valid message', () => {
    const decoded = decodeMessage(encodeMessage(data));
    assert.deepEqual(decoded, { ok: true, message: data });
  });

  it('refuses a body that is not valid UTF-8 (decoding would merge distinct names into U+FFFD)', () => {
    const body = Buffer.concat([Buffer.from('{"v":1,"kind":"data","hostId":"web'), Buffer.from([0xff]), Buffer.from('","points":[]}')]);
    assert.deepEqual(decodeMessage(body), { ok: false, reason: 'message body is not valid UTF-8' });
  });

  it('refuses JSON objects with duplicated keys (JSON.parse keeps the last, other parsers the first)', () => {
    const body =
      '{"v":1,"kind":"data","hostId":"web-1","hostId":"db-1","points":[{"plugin":"load","timestamp":1700000000,"values":{"a":1}}]}';
    assert.deepEqual(decodeMessage(body), { ok: false, reason: 'JSON objects with duplicated keys (1 written twice or more)' });
    const values = '{"v":1,"kind":"data","hostId":"web-1","points":[{"plugin":"load","timestamp":1700000000,"values":{"a":1,"a" : 2}}]}';
    assert.equal(decodeMessage(values).ok, false);
    // Quotes, colons and backslashes inside strings are not keys.
    const tricky = { ...data, points: [{ plugin: 'load', timestamp: TS, values: { 'c": d': 2, 'c"': 1, '"c': null } }] };
    assert.equal(decodeMessage(JSON.stringify(tricky)).ok, true);
    const host = { v: 1, kind: 'host', hostId: 'web-1', timestamp: TS, name: 'a": "b\\', description: '"x":1,"y":' };
    assert.equal(decodeMessage(JSON.stringify(host)).ok, true);
  });

  it('refuses a name over 200 bytes that is under 200 characters, on the fast path too', () => {
    const message = { ...data, points: [{ plugin: 'load', timestamp: TS, values: { ['€'.repeat(67)]: 1 } }] };
    const decoded = decodeMessage(encodeMessage(message as Message));
    assert.equal(decoded.ok, false);
    assert.match((decoded as { reason: string }).reason, /longer than 200 bytes in UTF-8/);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a traversal host ID', { ...data, hostId: '../etc' }, /hostId: name "\.\.\/etc" contains/],
    ['a traversal plugin', { ...data, points: [{ plugin: '..', timestamp: TS, values: {} }] }, /points\.0\.plugin: .*only of dots/],
    ['a NaN as string', { ...data, points: [{ plugin: 'p', timestamp: TS, values: { a: 'NaN' } }] }, /points\.0\.values\.a/],
    ['milliseconds', { ...data, points: [{ plugin: 'p', timestamp: TS * 1000, values: {} }] }, /looks like milliseconds/],
    ['a year 2200 timestamp', { ...data, points: [{ plugin: 'p', timestamp: 7_258_118_400, values: {} }] }, /outside 2000-01-01/],
    ['a fractional timestamp', { ...data, points: [{ plugin: 'p', timestamp: TS + 0.5, values: {} }] }, /whole seconds/],
    ['an unknown kind', { ...data, kind: 'other' }, /kind/],
    ['a wrong version', { ...data, v: 2 }, /v: /],
    ['no points', { ...data, points: [] }, /points/],
    ['an extra key', { ...data, extra: 1 }, /Unrecognized key/],
  ];
  for (const [what, body, reason] of bad) {
    it(`rejects ${what} with a reason`, () => {
      const decoded = decodeMessage(JSON.stringify(body));
      assert.equal(decoded.ok, false);
      if (!decoded.ok) assert.match(decoded.reason, reason);
    });
  }

  it('rejects invalid JSON, oversized and deeply nested bodies', () => {
    const syntax = decodeMessage('{"v":1,');
    assert.ok(!syntax.ok && /invalid JSON/.test(syntax.reason));
    const huge = decodeMessage(Buffer.alloc(2 * 1024 * 1024, 32));
    assert.ok(!huge.ok && /exceeds/.test(huge.reason));
    const deep = decodeMessage(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    assert.ok(!deep.ok && /nested 100000 deep/.test(deep.reason));
  });

  it('jsonDepth ignores brackets inside strings', () => {
    assert.equal(jsonDepth('{"a":"[[[[{{{"}'), 1);
    assert.equal(jsonDepth('{"a":"\\"[[["}'), 1);
    assert.equal(jsonDepth('[[1],[2,[3]]]'), 3);
  });
});

describe('idempotency', () => {
  it('gives one key per (host, plugin, timestamp)', () => {
    const two: Message = { ...data, points: [data.points[0], { plugin: 'cpu', timestamp: TS, values: { user: 1 } }] } as Message;
    assert.deepEqual(idempotencyKeys(two), [`web-1|load|${TS}`, `web-1|cpu|${TS}`]);
    assert.equal(messageId(data), `web-1|load|${TS}`);
    assert.match(messageId(two), /^web-1\|sha1:[0-9a-f]{40}$/);
    const swapped = { ...two, points: [...(two as { points: unknown[] }).points].reverse() } as Message;
    assert.equal(messageId(swapped), messageId(two));
  });
});

describe('legacy conversion', () => {
  it("keeps a host's group (a Munin group) in HOSTS as Group, and refuses an overlong one", () => {
    const decoded = decodeMessage(
      JSON.stringify({ v: 1, kind: 'host', hostId: 'node-a.example', timestamp: TS, name: 'node-a.example', group: 'dc1;web' }),
    );
    assert.ok(decoded.ok && decoded.message.kind === 'host');
    assert.equal(toLegacyHostInfo(decoded.message).Group, 'dc1;web');
    assert.equal('Group' in toLegacyHostInfo({ ...decoded.message, group: undefined }), false);
    const long = decodeMessage(JSON.stringify({ v: 1, kind: 'host', hostId: 'h', timestamp: TS, name: 'h', group: 'g'.repeat(257) }));
    assert.equal(long.ok, false);
  });

  it('keeps every munin attribute as a string in Infos', () => {
    const info = PluginInfoMessage.parse({
      v: 1,
      kind: 'info',
      hostId: 'h',
      plugin: 'if_eth0',
      timestamp: TS,
      title: 'eth0 traffic',
      vlabel: 'bits in (-) / out (+) per ${graph_period}',
      order: ['down', 'up'],
      fields: {
        down: { label: 'received', type: 'DERIVE', graph: false, min: 0, cdef: 'down,8,*' },
        up: { label: 'bps', type: 'DERIVE', negative: 'down', min: 0, extra: { max: '1000000000' } },
      },
    });
    const legacy = toLegacyPluginInfo(info);
    assert.equal(legacy.Order, 'down up');
    assert.equal(legacy.Base, '1000');
    assert.deepEqual(legacy.Infos.down, { id: 'down', label: 'received', type: 'DERIVE', min: '0', cdef: 'down,8,*', graph: 'no' });
    assert.equal(legacy.Infos.up.negative, 'down');
  });
});
