import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../common/logging/index.js';
import { type DataMessage, Message, type PluginInfoMessage } from '../../../common/schemas/index.js';
import { type RunningMuninNode, startMuninNode } from '../../../common/testing/munin-node.js';
import { MemorySink } from '../src/delivery/sinks.js';
import { MuninModule } from '../src/modules/munin/module.js';
import { MuninSession } from '../src/modules/munin/session.js';
import type { Collection } from '../src/modules/types.js';
import { PollCycle } from '../src/polling/poll-cycle.js';
import { RateStateFile } from '../src/rates/state-file.js';

/** Against Debian's real munin-node on 127.0.0.1:24949 with the plugins of test/peers/plugins. */
const PORT = 24949;
let node: RunningMuninNode;
/** How both the module and a bare session reach the node. */
const SESSION = {
  host: '127.0.0.1',
  port: PORT,
  connectTimeoutMs: 2000,
  readTimeoutMs: 10_000,
  maxLineLength: 65536,
  maxLines: 1000,
};

const moduleFor = (pluginsEnable: RegExp, nowSeconds = () => Math.floor(Date.now() / 1000)) =>
  new MuninModule({
    ...SESSION,
    pluginsEnable,
    maxReconnects: 3,
    logger: silentLogger(),
    nowSeconds,
  });

const connections = async () => ((await readFile(join(node.dir, 'munin-node.log'), 'utf8')).match(/CONNECT TCP Peer/g) ?? []).length;

describe('munin module against a real munin-node', () => {
  before(async () => {
    const plugins = fileURLToPath(new URL('./peers/plugins/', import.meta.url));
    const pluginFiles = (await readdir(plugins)).map((name) => join(plugins, name));
    node = await startMuninNode({ port: PORT, pluginFiles, timeouts: { np_slow: 1 } });
  });
  after(async () => {
    await node?.stop();
  });

  it('speaks the single-line and multi-line commands as the node answers them', async () => {
    const session = await MuninSession.open(SESSION);
    try {
      assert.equal(session.nodeName, 'poller-test.local');
      assert.deepEqual([...(await session.cap(['multigraph', 'dirtyconfig', 'unknowncap']))].sort(), ['dirtyconfig', 'multigraph']);
      assert.deepEqual(await session.nodes(), ['poller-test.local']);
      assert.deepEqual(await session.list('no-such-node'), []);
      assert.deepEqual(await session.fetch('no_such_plugin'), { ok: false, error: '# Unknown service' });
      assert.equal((await session.list()).length, 6);
    } finally {
      session.close();
    }
  });

  let all: Collection;
  it('polls every plugin on one connection; a failing and a timed-out plugin do not stop the others', async () => {
    const before = await connections();
    all = await moduleFor(/^/, () => 1_800_000_000).collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    assert.equal((await connections()) - before, 1, 'one connection per poll');
    const names = (all.plugins ?? []).map((p) => p.plugin).sort();
    assert.deepEqual(names, [
      'np_fail',
      'np_fetchonly',
      'np_multi',
      'np_multi.outlet1',
      'np_multi.outlet2',
      'np_rate',
      'np_slow',
      'np_static',
    ]);
    const errors = all.errors ?? [];
    assert.ok(errors.includes('np_fail: fetch: # Bad exit'), errors.join('\n'));
    assert.ok(errors.includes('np_slow: fetch: # Timed out'), errors.join('\n'));
    assert.ok(
      errors.some((e) => e.startsWith('np_fetchonly: np_fetchonly: unexpected line in fetch output')),
      errors.join('\n'),
    );
  });

  it('carries every attribute through to the plugin description', () => {
    const statics = all.plugins?.find((p) => p.plugin === 'np_static');
    assert.deepEqual(statics, {
      plugin: 'np_static',
      title: 'NP static test',
      vlabel: 'bytes per ${graph_period}',
      base: 1024,
      category: 'nptest',
      order: ['in', 'out', 'load', 'temp', 'abs'],
      info: 'Deterministic values for poller tests.',
      graph: { args: '--base 1024 -l 0', period: 'second', total: 'Total', scale: 'no', width: '400', update_rate: '60' },
      fields: {
        in: { label: 'bytes in', type: 'DERIVE', min: 0, graph: false },
        out: { label: 'bytes', type: 'COUNTER', negative: 'in', max: 1_000_000_000 },
        load: {
          label: 'load',
          type: 'GAUGE',
          draw: 'LINE2',
          colour: 'ff0000',
          warning: '5',
          critical: '10',
          info: 'Fake load',
          extra: { extinfo: 'extra info text', line: '3:00ff00:threshold' },
        },
        temp: {
          label: 'temperature',
          type: 'GAUGE',
          warning: '10:60',
          critical: ':80',
          cdef: 'temp,10,/',
          draw: 'AREASTACK',
          extra: { min: 'notanumber', unknown_limit: '3' },
        },
        abs: { label: 'absolute things', type: 'ABSOLUTE', extra: { sum: 'in out' } },
      },
    });
  });

  it('reads dirtyconfig values, U, timestamped values, multigraph sections and fetch-only plugins', () => {
    const samples = (plugin: string) => (all.samples ?? []).filter((s) => s.plugin === plugin);
    assert.deepEqual(samples('np_static'), [
      { plugin: 'np_static', timestamp: 1_700_000_000, values: { temp: 425 } },
      { plugin: 'np_static', timestamp: 1_800_000_000, values: { in: 1000, out: 2000, load: 1.5, temp: null, abs: 60 } },
    ]);
    assert.deepEqual(samples('np_multi.outlet2'), [{ plugin: 'np_multi.outlet2', timestamp: 1_800_000_000, values: { power: 200 } }]);
    assert.deepEqual(samples('np_multi')[0].values, { power: 300 });
    assert.deepEqual(samples('np_fetchonly')[0].values, { a: 1500, undeclared: 7 });
    assert.deepEqual(all.plugins?.find((p) => p.plugin === 'np_fetchonly')?.fields.undeclared, { label: 'undeclared', type: 'GAUGE' });
    assert.deepEqual(samples('np_fail'), []);
  });

  it('publishes valid v1 messages through the poll cycle, with rates from the second poll on', async () => {
    const sink = new MemorySink();
    const state = new RateStateFile({ file: join(node.dir, 'rates.json'), logger: silentLogger() });
    const cycle = new PollCycle({
      self: { hostId: 'munin-test-host', name: 'munin test' },
      modules: [moduleFor(/np_(static|rate|multi)/)],
      sink,
      rates: state,
      refreshSeconds: 300,
      heartbeatSeconds: 600,
      maxPointsPerMessage: 500,
      logger: silentLogger(),
      nowSeconds: () => Date.now() / 1000,
    });
    await cycle.run();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await cycle.run();
    for (const message of sink.messages) assert.ok(Message.safeParse(message).success, JSON.stringify(message).slice(0, 300));
    const infos = sink.messages.filter((m): m is PluginInfoMessage => m.kind === 'info').map((m) => m.plugin);
    assert.deepEqual([...new Set(infos)].sort(), [
      'np_multi',
      'np_multi.outlet1',
      'np_multi.outlet2',
      'np_rate',
      'np_static',
      'numeter_poller',
    ]);
    assert.equal(infos.length, 6, 'info is published once: the second poll is no refresh and nothing changed');
    const points = sink.messages.filter((m): m is DataMessage => m.kind === 'data').flatMap((m) => m.points);
    const rate = points.filter((p) => p.plugin === 'np_rate').map((p) => p.values.c);
    assert.deepEqual(rate, [null, 10], 'DERIVE: no value for the first sample, then 10 per second');
    const statics = points.filter((p) => p.plugin === 'np_static' && p.timestamp !== 1_700_000_000);
    assert.deepEqual(statics[0].values, { in: null, out: null, load: 1.5, temp: null, abs: null });
    assert.equal(statics[1].values.in, 0, 'constant DERIVE counter: rate 0');
    assert.equal(statics[1].values.out, 0);
    assert.ok((statics[1].values.abs ?? 0) > 0, 'ABSOLUTE: 60 per elapsed seconds');
  });
});
