import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeMessage, type Message } from '../../../common/schemas/index.js';
import { freePort } from '../../../common/testing/free-port.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { runPoller } from './peers/run-poller.js';

/** The poller as an operator runs it, with the carbon and statsd modules, in --simulate mode. */
describe('numeter-poller with the carbon and statsd modules', () => {
  let temp: TempDir;
  let dir: string;
  before(async () => {
    temp = await tempDir('poller-carbon');
    dir = temp.dir;
  });
  after(() => temp.remove());

  const baseEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    NUMETER_POLLER_GLOBAL_STATE_DIR: join(dir, 'state'),
    NUMETER_POLLER_GLOBAL_MODULES: 'carbon|statsd',
    NUMETER_POLLER_GLOBAL_POLLER_TIME: '1',
    NUMETER_POLLER_GLOBAL_JITTER: '0',
    NUMETER_POLLER_MYINFO_HOST_ID: 'poller-under-test',
    ...extra,
  });

  it('accepts carbon lines (TCP, UDP) and StatsD samples, and on SIGTERM flushes them before it exits', async () => {
    const carbonPort = await freePort();
    const statsdPort = await freePort();
    const out = join(dir, 'simulate.jsonl');
    const env = baseEnv({
      NUMETER_POLLER_GLOBAL_SIMULATE_FILE: out,
      NUMETER_POLLER_CARBONMODULE_LISTEN: `127.0.0.1:${carbonPort}`,
      NUMETER_POLLER_CARBONMODULE_FLUSH_INTERVAL: '30',
      NUMETER_POLLER_STATSDMODULE_LISTEN: `127.0.0.1:${statsdPort}`,
      NUMETER_POLLER_STATSDMODULE_TEMPLATES: 'plugin.ds',
    });
    let sent = false;
    const run = await runPoller(['--simulate'], env, {
      onStderr: (text, child) => {
        if (sent || !text.includes('statsd listener started')) return;
        sent = true;
        void (async () => {
          const tcp = connect(carbonPort, '127.0.0.1');
          await new Promise<void>((resolve) => tcp.once('connect', resolve));
          tcp.end('srv1.disk.sda.read 12.5 1800000000\nsrv1.disk.sda.write 3 1800000000\n');
          await new Promise<void>((resolve) => tcp.once('close', () => resolve()));
          const udp = createSocket('udp4');
          await new Promise<void>((resolve) => udp.send('srv2.load.one 0.7 1800000000', carbonPort, '127.0.0.1', () => resolve()));
          await new Promise<void>((resolve) => udp.send('api.hits:3|c', statsdPort, '127.0.0.1', () => resolve()));
          udp.close();
          await new Promise((r) => setTimeout(r, 300));
          child.kill('SIGTERM');
        })();
      },
    });
    assert.equal(run.code, 0, run.stderr);
    const messages: Message[] = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => {
        const decoded = decodeMessage(line);
        assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
        return decoded.message;
      });
    const values = new Map<string, number | null>();
    for (const m of messages)
      if (m.kind === 'data')
        for (const p of m.points) for (const [ds, v] of Object.entries(p.values)) values.set(`${m.hostId}.${p.plugin}.${ds}`, v);
    assert.equal(values.get('srv1.disk.sda.read'), 12.5, 'flushed at stop although the flush interval had not passed');
    assert.equal(values.get('srv1.disk.sda.write'), 3);
    assert.equal(values.get('srv2.load.one'), 0.7);
    assert.equal(values.get('poller-under-test.api.hits_count'), 3, 'a template without host: the poller host');
    const infos = messages.flatMap((m) => (m.kind === 'info' ? [`${m.hostId}/${m.plugin}`] : []));
    for (const plugin of ['srv1/disk.sda', 'srv2/load', 'poller-under-test/api']) assert.ok(infos.includes(plugin), plugin);
    assert.ok(messages.some((m) => m.kind === 'host' && m.hostId === 'srv1'));
  });

  it('a template error and a bad listen address stop the start with every problem listed (exit 2)', async () => {
    const run = await runPoller(
      ['--once', '--simulate'],
      baseEnv({
        NUMETER_POLLER_CARBONMODULE_TEMPLATES: 'host.measurement.field',
        NUMETER_POLLER_STATSDMODULE_LISTEN: 'nowhere',
      }),
    );
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /\[carbonmodule\] templates: template "host.measurement.field": node "measurement" is not host, plugin, ds or skip/i,
    );
    assert.match(run.stderr, /\[statsdmodule\] listen: "nowhere" is not host:port/i);
  });

  it('a port in use: the poller says which and exits 1, leaving nothing behind', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    try {
      const run = await runPoller(
        [],
        baseEnv({ NUMETER_POLLER_GLOBAL_SIMULATE: 'true', NUMETER_POLLER_CARBONMODULE_LISTEN: `127.0.0.1:${port}` }),
      );
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`cannot listen on tcp 127\\.0\\.0\\.1:${port}`));
    } finally {
      busy.close();
    }
  });
});
