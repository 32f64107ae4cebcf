import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  ConfigError,
  envVariableName,
  formatConfig,
  IniSyntaxError,
  iniBool,
  iniInt,
  iniList,
  iniNumber,
  iniString,
  knownKeysOf,
  loadConfig,
  parseIni,
  parseIniBoolean,
} from '../index.js';

describe('parseIni (RawConfigParser rules)', () => {
  it('reads the shipped poller config shape', () => {
    const doc = parseIni(
      [
        '# comment',
        '; another',
        '[global]',
        'poller_time = 60   ; poller launch frequency',
        'Modules: numeter.poller.muninModule:MuninModule',
        'description = rack #4',
        '[MyInfo]',
        'name = web',
        '  continued',
      ].join('\n'),
    );
    assert.deepEqual(doc, {
      global: { poller_time: '60', modules: 'numeter.poller.muninModule:MuninModule', description: 'rack #4' },
      myinfo: { name: 'web\ncontinued' },
    });
  });
  it('names the line it cannot read', () => {
    assert.throws(
      () => parseIni('[a]\nnot an option', 'x.cfg'),
      (e: unknown) => e instanceof IniSyntaxError && /x\.cfg:2/.test(e.message),
    );
    assert.throws(() => parseIni('key = 1', 'x.cfg'), /before any \[section\]/);
  });
  it('reads booleans', () => {
    assert.equal(parseIniBoolean('Yes'), true);
    assert.equal(parseIniBoolean('off'), false);
    assert.equal(parseIniBoolean('maybe'), undefined);
  });
});

describe('loadConfig', () => {
  const schema = z.object({
    global: z.object({ poller_time: z.coerce.number().int().positive().default(60), name: z.string().default('x') }).default({}),
  });
  const knownKeys = { global: ['poller_time', 'name'] };

  it('layers defaults < file < environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    try {
      const file = join(dir, 'a.cfg');
      writeFileSync(file, '[global]\npoller_time = 30\nname = fromfile\n');
      const env = { [envVariableName('NUMETER_TEST', 'global', 'name')]: 'fromenv' };
      const config = loadConfig({ schema, file, envPrefix: 'NUMETER_TEST', knownKeys, env });
      assert.deepEqual(config, { global: { poller_time: 30, name: 'fromenv' } });
      assert.equal(envVariableName('NUMETER_TEST', 'global', 'name'), 'NUMETER_TEST_GLOBAL_NAME');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists every problem at once', () => {
    const env = { NUMETER_TEST_GLOBAL_POLLER_TIME: '-5' };
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    try {
      const file = join(dir, 'a.cfg');
      writeFileSync(file, '[global]\npoler_time = 30\n');
      assert.throws(
        () => loadConfig({ schema, file, envPrefix: 'NUMETER_TEST', knownKeys, env }),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.problems.length === 2 &&
          /poler_time: unknown key/.test(e.message) &&
          /poller_time/.test(e.problems[1]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires a named file but tolerates a missing default one', () => {
    assert.throws(
      () => loadConfig({ schema, file: '/nonexistent/x.cfg', fileRequired: true, envPrefix: 'P', knownKeys, env: {} }),
      /cannot read config file/,
    );
    assert.deepEqual(loadConfig({ schema, file: '/nonexistent/x.cfg', envPrefix: 'P', knownKeys, env: {} }), {
      global: { poller_time: 60, name: 'x' },
    });
  });

  it('prints configuration with secrets masked', () => {
    assert.equal(
      formatConfig({ global: { rpc_password: 'secret', hosts: ['a', 'b'] } }, ['rpc_password']),
      '[global]\nrpc_password = ********\nhosts = a,b\n',
    );
  });
});

describe('typed INI fields', () => {
  const schema = z.object({
    s: z.object({ n: iniInt(5, 1, 10), f: iniNumber(0.5, 0, 1), b: iniBool(false), l: iniList('a, b'), t: iniString('x') }).default({}),
  });
  it('takes defaults for absent and empty values', () => {
    assert.deepEqual(schema.parse({}), { s: { n: 5, f: 0.5, b: false, l: ['a', 'b'], t: 'x' } });
    assert.deepEqual(schema.parse({ s: { n: '', b: ' ' } }).s.n, 5);
  });
  it('converts and names what was expected', () => {
    assert.deepEqual(schema.parse({ s: { n: '7', f: '1', b: 'On', l: 'x,,y ', t: '' } }), {
      s: { n: 7, f: 1, b: true, l: ['x', 'y'], t: '' },
    });
    const r = schema.safeParse({ s: { n: '7.5', f: 'NaN', b: 'maybe' } });
    assert.equal(r.success, false);
    if (!r.success) {
      assert.deepEqual(
        r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
        [
          's.n: "7.5" is not a whole number between 1 and 10',
          's.f: "NaN" is not a number between 0 and 1',
          's.b: "maybe" is not a boolean (yes/no, true/false, on/off, 1/0)',
        ],
      );
    }
  });
  it('lists the known keys of each section', () => {
    assert.deepEqual(knownKeysOf(schema), { s: ['n', 'f', 'b', 'l', 't'] });
  });
});
