import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeMessage, type Message } from '../../../common/schemas/index.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { runPoller } from './peers/run-poller.js';

const logLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; level: number; [key: string]: unknown });

describe('numeter-poller command line', () => {
  let temp: TempDir;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    temp = await tempDir('poller-cli');
    dir = temp.dir;
    env = {
      NUMETER_POLLER_GLOBAL_STATE_DIR: join(dir, 'state'),
      NUMETER_POLLER_GLOBAL_MODULES: 'system|munin',
      // nothing listens there: the munin module fails, the system module goes on
      NUMETER_POLLER_MUNINMODULE_MUNIN_PORT: '1',
      NUMETER_POLLER_MUNINMODULE_CONNECT_TIMEOUT: '1',
      NUMETER_POLLER_MYINFO_NAME: 'cli-test',
    };
  });
  after(() => temp.remove());

  it('--once --simulate prints valid v1 messages as JSON lines and logs the failing module without a stack', async () => {
    const run = await runPoller(['--once', '--simulate'], env);
    assert.equal(run.code, 0, run.stderr);
    const messages: Message[] = run.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const decoded = decodeMessage(line);
        assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
        return decoded.message;
      });
    const hostId = (await readFile(join(dir, 'state', 'host_id'), 'utf8')).trim();
    assert.ok(messages.every((m) => m.hostId === hostId));
    const host = messages.find((m) => m.kind === 'host');
    assert.equal(host?.kind === 'host' && host.name, 'cli-test');
    const infos = messages.flatMap((m) => (m.kind === 'info' ? [m.plugin] : []));
    for (const plugin of ['system_memory', 'system_load', 'system_cpu', 'numeter_poller']) assert.ok(infos.includes(plugin), plugin);
    const points = messages.flatMap((m) => (m.kind === 'data' ? m.points : []));
    assert.ok(points.some((p) => p.plugin === 'system_load'));
    const logs = logLines(run.stderr);
    const failed = logs.find((l) => l.msg.startsWith('module failed'));
    assert.ok(failed, run.stderr);
    assert.equal(failed.module, 'munin');
    assert.match(String(failed.reason), /cannot connect to 127\.0\.0\.1:1/);
    assert.ok(!run.stderr.includes('    at '), 'no stack trace for an unreachable node');
    assert.ok(logs.some((l) => l.msg === 'poll done'));
  });

  it('keeps the generated host ID and the counters across runs', async () => {
    const first = (await readFile(join(dir, 'state', 'host_id'), 'utf8')).trim();
    const run = await runPoller(['--once', '--simulate'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(`"hostId":"${first}"`));
    const rates = JSON.parse(await readFile(join(dir, 'state', 'rates.json'), 'utf8')) as { readings: Record<string, unknown> };
    assert.ok(
      Object.keys(rates.readings).some((key) => key.includes('system_net.')),
      'network counters remembered',
    );
  });

  it('--print-config prints the effective configuration', async () => {
    const run = await runPoller(['--print-config'], { ...env, NUMETER_POLLER_GLOBAL_RPC_PASSWORD: 's3cret' });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^modules = system\|munin$/m);
    assert.match(run.stdout, /^munin_port = 1$/m);
    assert.match(run.stdout, /^rpc_password = \*+$/m);
    assert.doesNotMatch(run.stdout, /s3cret/);
  });

  it('exits 2 listing every configuration problem by key', async () => {
    const run = await runPoller(['--once', '--simulate'], {
      ...env,
      NUMETER_POLLER_GLOBAL_POLLER_TIME: 'often',
      NUMETER_POLLER_MUNINMODULE_MUNIN_PORT: '0',
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /\[global\] poller_time: "often" is not a whole number/);
    assert.match(run.stderr, /\[muninmodule\] munin_port: "0" is not a whole number between 1 and 65535/);
  });

  it('exits 2 when a named config file is missing', async () => {
    const run = await runPoller(['--config', join(dir, 'nope.cfg'), '--once'], env);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot read config file .*nope\.cfg/);
  });

  it('runs as a daemon and stops cleanly on SIGTERM', async () => {
    let signalled = false;
    const run = await runPoller(
      ['--simulate'],
      { ...env, NUMETER_POLLER_GLOBAL_MODULES: 'system', NUMETER_POLLER_GLOBAL_POLLER_TIME: '1', NUMETER_POLLER_GLOBAL_JITTER: '0' },
      {
        onStdout: (text, child) => {
          // after the second poll's data arrives
          if (!signalled && (text.match(/"kind":"data"/g) ?? []).length >= 2) {
            signalled = true;
            child.kill('SIGTERM');
          }
        },
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.signal, null);
    const logs = logLines(run.stderr);
    assert.ok(
      logs.some((l) => l.msg === 'poller stopped' && Number(l.polls) >= 2),
      run.stderr,
    );
  });

  it('keeps polls in the spool while the broker is unreachable and stops within the deadline on SIGTERM', async () => {
    let signalled = false;
    const started = Date.now();
    const run = await runPoller(
      [],
      {
        ...env,
        NUMETER_POLLER_GLOBAL_MODULES: 'system',
        NUMETER_POLLER_GLOBAL_POLLER_TIME: '1',
        NUMETER_POLLER_GLOBAL_JITTER: '0',
        NUMETER_POLLER_GLOBAL_RPC_HOSTS: '127.0.0.1:1',
        NUMETER_POLLER_GLOBAL_STOP_DEADLINE: '2',
      },
      {
        onStderr: (text, child) => {
          if (!signalled && (text.match(/"msg":"poll done"/g) ?? []).length >= 2) {
            signalled = true;
            child.kill('SIGTERM');
          }
        },
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.ok(Date.now() - started < 20_000);
    const logs = logLines(run.stderr);
    const stopped = logs.find((l) => l.msg === 'poller stopped');
    assert.ok(stopped, run.stderr);
    assert.ok(Number(stopped.spool_records) > 0, 'the polls wait in the spool');
    assert.ok(!run.stderr.includes('    at '), 'no stack trace for a broker that is down');
  });
});
