import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeLegacyEnvelope, legacyValue, looksLikeOsloEnvelope } from '../src/ingest/legacy-envelope.js';

const NOW = 1_700_000_000;

/** The three JSON levels the original poller sent through oslo.messaging (numeter-original.md §2.2). */
function envelope(type: string, hostId: string, plugin: string, payload: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({
      'oslo.version': '2.0',
      'oslo.message': JSON.stringify({
        method: 'poller_msg',
        args: { args: { message: typeof payload === 'string' ? payload : JSON.stringify(payload) } },
        _unique_id: '5b1d6d1e0b2c4f4f9e1f0c7a2b3c4d5e',
        _context_topic: hostId,
        _context_plugin: plugin,
        _context_type: type,
        _context_hostid: hostId,
      }),
    }),
  );
}

test('data: digit-string TimeStamp, string values, "U" as unknown, host from the context', () => {
  const body = envelope('data', 'h1', 'cpu', {
    TimeStamp: '1699999940',
    Plugin: 'cpu',
    Values: { user: '12.5', idle: 'U', neg: '-1.5', int: 7 },
  });
  assert.equal(looksLikeOsloEnvelope(body), true);
  const result = decodeLegacyEnvelope(body, NOW);
  assert.deepEqual(result, {
    ok: true,
    message: {
      v: 1,
      kind: 'data',
      hostId: 'h1',
      points: [{ plugin: 'cpu', timestamp: 1_699_999_940, values: { user: 12.5, idle: null, neg: -1.5, int: 7 } }],
    },
  });
});

test('MyInfo becomes a host message; plugin infos keep munin attributes', () => {
  const host = decodeLegacyEnvelope(envelope('info', 'h1', 'MyInfo', { Plugin: 'MyInfo', Name: 'box', ID: 'h1', Description: 'd' }), NOW);
  assert.ok(host.ok);
  assert.deepEqual(host.message, { v: 1, kind: 'host', hostId: 'h1', timestamp: NOW, name: 'box', description: 'd', agentVersion: '' });
  const info = decodeLegacyEnvelope(
    envelope('info', 'h1', 'load', {
      Plugin: 'load',
      Title: 'Load average',
      Describ: 'load',
      Vlabel: 'load',
      Base: '1024',
      Order: 'load  other',
      Infos: { load: { id: 'load', label: 'load', draw: 'LINE2', min: '0', colour: 'ff0000', warning: '10', odd: 'x' } },
    }),
    NOW,
  );
  assert.ok(info.ok && info.message.kind === 'info');
  assert.equal(info.message.base, 1024);
  assert.equal(info.message.category, 'other');
  assert.deepEqual(info.message.order, ['load', 'other']);
  assert.deepEqual(info.message.fields.load, {
    label: 'load',
    type: 'GAUGE',
    draw: 'LINE2',
    min: 0,
    colour: 'ff0000',
    warning: '10',
    extra: { odd: 'x' },
  });
});

test('refusals name what is wrong', () => {
  const cases: Array<[Buffer, RegExp]> = [
    [envelope('data', 'h1', 'cpu', { TimeStamp: 1699999940, Plugin: 'cpu', Values: { a: '1' } }), /TimeStamp .* not a string of digits/],
    [envelope('data', 'h1', 'cpu', { TimeStamp: '1699999940', Plugin: 'cpu', Values: { a: 'NaN' } }), /Values\.a: "NaN" is neither/],
    [envelope('data', 'h1', 'cpu', { TimeStamp: '1699999940', Plugin: 'cpu', Values: { a: 'Infinity' } }), /neither a finite number/],
    [envelope('data', 'h1', 'cpu', { TimeStamp: '1699999940000', Plugin: 'cpu', Values: { a: '1' } }), /milliseconds/],
    [envelope('data', 'h/1', 'cpu', { TimeStamp: '1699999940', Plugin: 'cpu', Values: { a: '1' } }), /hostId/],
    [envelope('data', 'h1', 'cpu', { TimeStamp: '1699999940', Plugin: '..', Values: { a: '1' } }), /made only of dots/],
    [envelope('info', 'h1', 'cpu', { Plugin: 'cpu', Title: 'x' }), /without Infos/],
    [envelope('info', 'h1', 'MyInfo', { Plugin: 'MyInfo', ID: 'h1' }), /needs ID and Name/],
    [envelope('ping', 'h1', 'cpu', {}), /neither data nor info/],
    [envelope('data', 'h1', 'cpu', '{not json'), /invalid JSON/],
    [envelope('data', 'h1', 'cpu', `${'['.repeat(50)}${']'.repeat(50)}`), /nested 50 deep/],
    [Buffer.from('{"oslo.version":"2.0","oslo.message":42}'), /oslo.message is not a JSON string/],
  ];
  for (const [body, reason] of cases) {
    const result = decodeLegacyEnvelope(body, NOW);
    assert.equal(result.ok, false, body.toString().slice(0, 120));
    if (!result.ok) assert.match(result.reason, reason);
  }
});

test('legacyValue', () => {
  assert.equal(legacyValue('U'), null);
  assert.equal(legacyValue('1e3'), 1000);
  assert.equal(legacyValue('.5'), 0.5);
  assert.equal(legacyValue('1e999'), undefined);
  assert.equal(legacyValue(' 3 '), 3);
  assert.equal(legacyValue('0x10'), undefined);
  assert.equal(legacyValue(''), undefined);
  assert.equal(legacyValue(true), undefined);
});
