import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Deadline } from '../../../common/lifecycle/index.js';
import type { Message } from '../../../common/schemas/index.js';
import { freePort } from '../../../common/testing/free-port.js';
import { type RunningMuninNode, startMuninNode } from '../../../common/testing/munin-node.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { MemorySink } from '../src/delivery/sinks.js';
import { createMuninModule, type MuninSettings } from '../src/modules/munin/factory.js';
import { PollCycle } from '../src/polling/poll-cycle.js';
import { RateStateFile } from '../src/rates/state-file.js';

/**
 * munin.conf re-read while the poller runs, against real munin-nodes: a node added in an
 * includedir file is polled from the next poll, a removed one no more; a new config with
 * an error is refused (its problems logged with file and line, the last good nodes still
 * polled); SIGHUP re-reads it even when no file changed.
 */
const PLUGINS = fileURLToPath(new URL('./peers/plugins/', import.meta.url));

/** A pino logger whose lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const settings = (munin_conf: string): MuninSettings => ({
  munin_host: '127.0.0.1',
  munin_port: 1,
  plugins_enable: /^/,
  connect_timeout: 2,
  read_timeout: 10,
  max_line_length: 65536,
  max_lines: 1000,
  munin_conf,
  nodes: '',
  host_id_format: '{name}',
  local_node: false,
  max_parallel: 4,
});

const polledHosts = (messages: Message[]) =>
  [...new Set(messages.filter((m) => m.kind === 'data' && m.hostId !== 'central').map((m) => m.hostId))].sort();

describe('munin.conf re-read without a restart', () => {
  let dir: TempDir;
  let nodeA: RunningMuninNode;
  let nodeB: RunningMuninNode;

  before(async () => {
    dir = await tempDir('munin-reload');
    [nodeA, nodeB] = await Promise.all([
      startMuninNode({ port: await freePort(), hostName: 'node-a.example', pluginFiles: [join(PLUGINS, 'np_static')] }),
      startMuninNode({ port: await freePort(), hostName: 'node-b.example', pluginFiles: [join(PLUGINS, 'np_rate')] }),
    ]);
  });
  after(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    await dir?.remove();
  });

  it('picks up added and removed nodes, refuses a broken config keeping the old nodes, and re-reads on SIGHUP', async () => {
    const conf = join(dir.dir, 'munin.conf');
    const included = join(dir.dir, 'conf.d');
    await mkdir(included);
    const nodeSection = (name: string, port: number) => `[${name}]\n  address 127.0.0.1\n  port ${port}\n`;
    await writeFile(conf, `includedir conf.d\n${nodeSection('web;node-a.example', nodeA.port)}`);
    const { logger, lines } = capturingLogger();
    const context = { config: {}, ini: {}, hostId: 'central', stateDir: dir.dir, logger, nowSeconds: () => Date.now() / 1000 };
    const module = createMuninModule(context, settings(conf), 10);
    const cycle = new PollCycle({
      self: { hostId: 'central', name: 'central' },
      modules: [module],
      sink: new MemorySink(),
      rates: new RateStateFile({ file: join(dir.dir, 'rates.json'), logger }),
      refreshSeconds: 300,
      heartbeatSeconds: 600,
      maxPointsPerMessage: 500,
      logger,
      nowSeconds: () => Date.now() / 1000,
    });
    const poll = async () => {
      const sink = new MemorySink();
      (cycle as unknown as { options: { sink: MemorySink } }).options.sink = sink;
      await cycle.run();
      return polledHosts(sink.messages);
    };
    try {
      assert.deepEqual(await poll(), ['node-a.example']);
      assert.deepEqual(await poll(), ['node-a.example'], 'nothing changed: the same nodes');
      assert.equal(lines.filter((l) => l.msg === 'munin.conf re-read').length, 0, 'an unchanged munin.conf is not re-read');

      // A node added in a new includedir file.
      await writeFile(join(included, 'db.conf'), nodeSection('db;node-b.example', nodeB.port));
      assert.deepEqual(await poll(), ['node-a.example', 'node-b.example']);

      // A broken new munin.conf (node-a removed, a section with a bad port): refused, the old nodes go on.
      await writeFile(conf, `includedir conf.d\n[node-c.example]\n  address 127.0.0.1\n  port 49x9\n`);
      assert.deepEqual(await poll(), ['node-a.example', 'node-b.example']);
      const problem = lines.find((l) => l.msg === 'munin node list problem' && String(l.reason).includes('49x9'));
      assert.match(String(problem?.reason), /munin\.conf:4: port "49x9" is not a port number/);
      assert.ok(lines.some((l) => String(l.msg).startsWith('munin.conf reload refused')));
      assert.deepEqual(await poll(), ['node-a.example', 'node-b.example'], 'still refused, not re-logged at every poll');
      assert.equal(lines.filter((l) => String(l.reason).includes('49x9')).length, 1);

      // Fixed: node-a is gone for good, node-b stays.
      await writeFile(conf, 'includedir conf.d\n');
      assert.deepEqual(await poll(), ['node-b.example']);

      // SIGHUP: re-read although no file changed.
      const reads = lines.filter((l) => l.msg === 'munin.conf re-read').length;
      process.kill(process.pid, 'SIGHUP');
      await new Promise((resolve) => setTimeout(resolve, 200)); // the signal arrives through the event loop
      assert.deepEqual(await poll(), ['node-b.example']);
      const reread = lines.filter((l) => l.msg === 'munin.conf re-read');
      assert.equal(reread.length, reads + 1);
      assert.equal(reread.at(-1)?.hangup, true);
    } finally {
      await module.stop?.(Deadline.after(5000));
    }
    assert.equal(process.listenerCount('SIGHUP'), 0, 'stop removes the SIGHUP listener');
  });
});
