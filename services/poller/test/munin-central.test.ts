import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { silentLogger } from '../../../common/logging/index.js';
import { readMuninConf } from '../../../common/munin/index.js';
import type { DataMessage, HostInfoMessage, Message, PluginInfoMessage } from '../../../common/schemas/index.js';
import { freePort } from '../../../common/testing/free-port.js';
import { type RunningMuninNode, startMuninNode } from '../../../common/testing/munin-node.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { MemorySink } from '../src/delivery/sinks.js';
import { NODE_POLL_PLUGIN } from '../src/modules/munin/central.js';
import { createMuninModule, type MuninSettings } from '../src/modules/munin/factory.js';
import { centralNodes, parseNodeList } from '../src/modules/munin/node-list.js';
import { PollCycle } from '../src/polling/poll-cycle.js';
import { RateStateFile } from '../src/rates/state-file.js';

/**
 * Central polling against several real munin-nodes (Debian's, each with its own plugins
 * and name) listed in a munin.conf, beside a node that is down, one that talks garbage,
 * one that never answers, one killed during the poll, and sections with errors.
 */
const PLUGINS = fileURLToPath(new URL('./peers/plugins/', import.meta.url));
const SLOW_FETCH = `#!/bin/sh
if [ "$1" = config ]; then echo "graph_title slow fetch"; echo "x.label x"; exit 0; fi
sleep 3
echo "x.value 1"
`;

/** A TCP peer that is not a munin-node: garbage, or silence. */
async function fakePeer(onConnect: (socket: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnect(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** munin-node forks one process per connection: kill those of ours, then the node. */
async function killNode(node: RunningMuninNode): Promise<void> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === node.pid) process.kill(Number(entry), 'SIGKILL');
  }
  process.kill(node.pid, 'SIGKILL');
}

const settings = (extra: Partial<MuninSettings>): MuninSettings => ({
  munin_host: '127.0.0.1',
  munin_port: 1,
  plugins_enable: /^/,
  connect_timeout: 1,
  read_timeout: 10,
  max_line_length: 65536,
  max_lines: 1000,
  munin_conf: '',
  nodes: '',
  host_id_format: '{name}',
  local_node: false,
  max_parallel: 4,
  ...extra,
});

const context = (dir: string, logger = silentLogger()) => ({
  config: {},
  ini: {},
  hostId: 'central',
  stateDir: dir,
  logger,
  nowSeconds: () => Date.now() / 1000,
});

function cycleFor(module: ReturnType<typeof createMuninModule>, dir: string, sink: MemorySink): PollCycle {
  return new PollCycle({
    self: { hostId: 'central', name: 'central' },
    modules: [module],
    sink,
    rates: new RateStateFile({ file: join(dir, 'rates.json'), logger: silentLogger() }),
    refreshSeconds: 300,
    heartbeatSeconds: 600,
    maxPointsPerMessage: 500,
    logger: silentLogger(),
    nowSeconds: () => Date.now() / 1000,
  });
}

/** A MemorySink that also keeps each publish call apart. */
class CallsSink extends MemorySink {
  readonly calls: Message[][] = [];
  override async publish(messages: Message[]): Promise<void> {
    this.calls.push([...messages]);
    await super.publish(messages);
  }
}

const pointsOf = (messages: Message[], hostId: string) =>
  messages.filter((m): m is DataMessage => m.kind === 'data' && m.hostId === hostId).flatMap((m) => m.points);
const health = (messages: Message[], hostId: string) => pointsOf(messages, hostId).find((p) => p.plugin === NODE_POLL_PLUGIN)?.values;

describe('munin.conf and node lists', () => {
  let temp: TempDir;
  let dir: string;
  before(async () => {
    temp = await tempDir('muninconf');
    dir = temp.dir;
  });
  after(async () => temp.remove());

  it('reads groups, addresses, ports, use_node_name and includedir; each problem names its file and line', async () => {
    await mkdir(join(dir, 'conf.d'));
    const conf = join(dir, 'munin.conf');
    await writeFile(
      conf,
      [
        '# a comment',
        'dbdir /var/lib/munin-test',
        'includedir conf.d',
        '[web;node-a.example.com]',
        '    address 10.0.0.1',
        '    use_node_name yes',
        '    load.graph_title overridden # ignored',
        '[node-b.example.com]',
        '    address munin://10.0.0.2:4950',
        '[lonely]',
        '    address lonely',
        '[dc1;racks;node-c]',
        '    address 10.0.0.3',
        '    port 4951',
        '[noaddress.example]',
        '    port 4949',
        '[badport.example]',
        '    address 10.0.0.4',
        '    port 49x9',
        '[web;]',
        '    contacts nobody',
        '[bad/name]',
        '[unclosed',
        '[off.example]',
        '    address 10.0.0.5',
        '    update no',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'conf.d', 'extra.conf'),
      '[ops;node-d.example.com]\n  address 10.0.0.6\n[web;node-a.example.com]\n  port 4952\n',
    );
    await writeFile(join(dir, 'conf.d', 'extra.conf~'), '[backup.example]\n  address 10.0.0.7\n');
    const read = readMuninConf(conf);
    assert.equal(read.dbdir, '/var/lib/munin-test');
    const nodes = read.nodes.map(({ name, group, address, port, useNodeName }) => ({ name, group, address, port, useNodeName }));
    assert.deepEqual(nodes, [
      { name: 'node-d.example.com', group: 'ops', address: '10.0.0.6', port: 4949, useNodeName: false },
      { name: 'node-a.example.com', group: 'web', address: '10.0.0.1', port: 4952, useNodeName: true },
      { name: 'node-b.example.com', group: 'example.com', address: '10.0.0.2', port: 4950, useNodeName: false },
      { name: 'lonely', group: 'lonely', address: 'lonely', port: 4949, useNodeName: false },
      { name: 'node-c', group: 'dc1;racks', address: '10.0.0.3', port: 4951, useNodeName: false },
    ]);
    assert.deepEqual(
      read.problems.map((p) => p.replace(`${dir}/`, '')),
      [
        'munin.conf:22: host name "bad/name" is not a valid Munin host name; host skipped',
        'munin.conf:23: cannot read section header "[unclosed"; its keys are ignored',
        'munin.conf:15: host noaddress.example has no address; host skipped',
        'munin.conf:19: port "49x9" is not a port number (1-65535); host skipped',
      ],
    );
  });

  it('reads a plain node list and builds host IDs from a format; bad entries are named', () => {
    const list = parseNodeList('node-e.example.com, db;node-f=10.1.0.1:4960  node-g:4961 bad//entry');
    assert.deepEqual(
      list.nodes.map(({ name, group, address, port }) => ({ name, group, address, port })),
      [
        { name: 'node-e.example.com', group: 'example.com', address: 'node-e.example.com', port: 4949 },
        { name: 'node-f', group: 'db', address: '10.1.0.1', port: 4960 },
        { name: 'node-g', group: 'node-g', address: 'node-g', port: 4961 },
      ],
    );
    assert.deepEqual(list.problems, ['entry "bad//entry" is not [group;]name[=address][:port]']);
    const built = centralNodes({ munin_conf: '', nodes: 'a.x, b.x', host_id_format: 'munin-{group}-{name}' });
    assert.deepEqual(
      built.nodes.map((n) => n.hostId),
      ['munin-x-a.x', 'munin-x-b.x'],
    );
  });
});

describe('central munin polling against real munin-nodes', () => {
  let temp: TempDir;
  let dir: string;
  let nodeA: RunningMuninNode;
  let nodeB: RunningMuninNode;
  let garbage: Awaited<ReturnType<typeof fakePeer>>;
  let silent: Awaited<ReturnType<typeof fakePeer>>;
  let deadPort: number;

  before(async () => {
    temp = await tempDir('central');
    dir = temp.dir;
    [nodeA, nodeB] = await Promise.all([
      startMuninNode({
        port: await freePort(),
        hostName: 'node-a.example',
        pluginFiles: [join(PLUGINS, 'np_static'), join(PLUGINS, 'np_multi')],
      }),
      startMuninNode({
        port: await freePort(),
        hostName: 'node-b.example',
        pluginFiles: [join(PLUGINS, 'np_rate'), join(PLUGINS, 'np_fetchonly')],
      }),
    ]);
    garbage = await fakePeer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    silent = await fakePeer(() => {});
    deadPort = await freePort();
  });
  after(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop(), garbage?.close(), silent?.close()]);
    await temp.remove();
  });

  const section = (name: string, port: number, extra = '') => `[${name}]\n  address 127.0.0.1\n  port ${port}\n${extra}`;

  it('polls every node as its own host; a node down, talking garbage or silent delays no other and is reported', async () => {
    const conf = join(dir, 'munin.conf');
    await writeFile(
      conf,
      [
        'dbdir /nowhere',
        section(
          'web;node-a.example',
          nodeA.port,
          '  use_node_name yes\n  np_static.graph_title Overridden title\n  np_static.load.colour 0000ff\n  np_multi.outlet1.graph_title Outlet one',
        ),
        section('node-b.example', nodeB.port),
        section('dead.example', deadPort),
        section('garbage.example', garbage.port),
        section('silent.example', silent.port),
        '[broken.example]\n  port notaport',
      ].join('\n'),
    );
    // The silent node must hit the deadline; the real nodes must not, even on a loaded machine
    // where munin-node's forks are slow (2 s was too short at a load of 15 on 2 cores).
    const logged: Array<{ msg: string; reason?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
    const module = createMuninModule(context(dir, logger), settings({ munin_conf: conf }), 6);
    const sink = new MemorySink();
    const result = await cycleFor(module, dir, sink).run();
    const messages = sink.messages;

    const hosts = messages.filter((m): m is HostInfoMessage => m.kind === 'host' && m.hostId !== 'central');
    assert.deepEqual(hosts.map((h) => [h.hostId, h.name, h.group]).sort(), [
      ['dead.example', 'dead.example', 'example'],
      ['garbage.example', 'garbage.example', 'example'],
      ['node-a.example', 'node-a.example', 'web'],
      ['node-b.example', 'node-b.example', 'example'],
      ['silent.example', 'silent.example', 'example'],
    ]);
    const pluginsOf = (hostId: string) => [...new Set(pointsOf(messages, hostId).map((p) => p.plugin))].sort();
    assert.deepEqual(pluginsOf('node-a.example'), [NODE_POLL_PLUGIN, 'np_multi', 'np_multi.outlet1', 'np_multi.outlet2', 'np_static']);
    assert.ok(pluginsOf('node-b.example').includes('np_fetchonly'));
    const infos = messages
      .filter((m) => m.kind === 'info' && m.hostId === 'node-b.example')
      .map((m) => (m.kind === 'info' ? m.plugin : ''));
    assert.deepEqual(infos.sort(), [NODE_POLL_PLUGIN, 'np_fetchonly', 'np_rate']);
    assert.ok(pointsOf(messages, 'node-a.example').some((p) => p.plugin === 'np_static' && p.values.load === 1.5));
    const infoOf = (hostId: string, plugin: string) =>
      messages.find((m): m is PluginInfoMessage => m.kind === 'info' && m.hostId === hostId && m.plugin === plugin);
    assert.equal(infoOf('node-a.example', 'np_static')?.title, 'Overridden title', "munin.conf's graph overrides win");
    assert.equal(infoOf('node-a.example', 'np_static')?.fields.load.colour, '0000ff');
    assert.equal(infoOf('node-a.example', 'np_static')?.fields.load.draw, 'LINE2');
    assert.equal(infoOf('node-a.example', 'np_multi.outlet1')?.title, 'Outlet one', 'a multigraph section is overridden by its name');
    assert.equal(infoOf('node-a.example', 'np_multi.outlet2')?.title, 'Outlet 2');

    for (const bad of ['dead.example', 'garbage.example', 'silent.example']) {
      const values = health(messages, bad);
      assert.ok(values, `${bad} has its poll health`);
      assert.ok((values.errors ?? 0) >= 1, `${bad} reported`);
      assert.equal(values.plugins, 0);
      assert.equal(values.last_success, null);
      assert.deepEqual(pluginsOf(bad), [NODE_POLL_PLUGIN]);
    }
    const good = health(messages, 'node-a.example');
    assert.equal(good?.errors, 0);
    assert.equal(good?.plugins, 4);
    assert.equal(good?.since_success, 0);
    assert.ok(result.moduleErrors >= 3);
    const stats = (module.stats?.() ?? {}) as Record<string, number>;
    assert.equal(stats.nodes, 5);
    const confProblems = logged.filter((line) => line.msg === 'munin node list problem').map((line) => line.reason);
    const brokenLine = (await readFile(conf, 'utf8')).split('\n').indexOf('[broken.example]') + 1;
    assert.deepEqual(confProblems, [`${conf}:${brokenLine}: host broken.example has no address; host skipped`], 'named with file and line');
    assert.equal(stats.nodeDeadlines, 1, 'the silent node hit its deadline');

    // The core keeps descriptions (and republishes them at each refresh): unchanged ones are not handed over again.
    const again = await module.collect({ nowSeconds: Math.floor(Date.now() / 1000), wantInfo: true });
    assert.deepEqual(
      (again.plugins ?? []).filter((p) => p.hostId === 'node-a.example'),
      [],
    );
    assert.ok(again.samples.some((s) => s.hostId === 'node-a.example' && s.plugin === 'np_static'));
  });

  it('a node killed during the poll is reported; the others are published', async () => {
    const doomed = await startMuninNode({ port: await freePort(), hostName: 'doomed.example', extraPlugins: { slow_fetch: SLOW_FETCH } });
    try {
      const module = createMuninModule(
        context(dir),
        settings({ nodes: `node-a.example=127.0.0.1:${nodeA.port} doomed.example=127.0.0.1:${doomed.port}` }),
        20,
      );
      const sink = new CallsSink();
      const poll = cycleFor(module, dir, sink).run();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await killNode(doomed);
      await poll;
      const nodesOfCall = sink.calls.map((call) => [...new Set(call.map((m) => m.hostId))].filter((hostId) => hostId !== 'central'));
      assert.deepEqual(
        nodesOfCall.filter((hostIds) => hostIds.length > 0).sort(),
        [['doomed.example'], ['node-a.example']],
        "each node's messages are spooled apart, as that node finishes",
      );
      const doomedHealth = health(sink.messages, 'doomed.example');
      assert.ok((doomedHealth?.errors ?? 0) >= 1);
      assert.equal(pointsOf(sink.messages, 'doomed.example').filter((p) => p.plugin === 'slow_fetch').length, 0);
      assert.ok(pointsOf(sink.messages, 'node-a.example').some((p) => p.plugin === 'np_static'));
    } finally {
      await doomed.stop();
    }
  });
});
