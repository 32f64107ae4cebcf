import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_HEARTBEAT_SECONDS } from '../../../common/bus/src/defaults.js';
import { ConfigError } from '../../../common/config/index.js';
import { tempDir } from '../../../common/testing/temp-dir.js';
import { resolveHostId } from '../src/config/host-id.js';
import { parseModuleList } from '../src/config/module-list.js';
import { amqpUrlOf, loadPollerConfig, printableConfig, rateHeartbeatOf, spoolDirOf } from '../src/config/schema.js';

async function withFile<T>(text: string, run: (file: string) => T | Promise<T>): Promise<T> {
  const temp = await tempDir('poller-config');
  const dir = temp.dir;
  try {
    const file = join(dir, 'numeter_poller.cfg');
    await writeFile(file, text);
    return await run(file);
  } finally {
    await temp.remove();
  }
}

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  return withFile(text, (file) => {
    try {
      loadPollerConfig({ file, fileRequired: true, env });
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return error.problems;
    }
    assert.fail('expected a ConfigError');
  });
}

/** The shipped file of the original poller, as found on existing machines. */
const ORIGINAL = `[global]
enable = true
simulate = false
simulate_file = /tmp/numeter.simulate
poller_time = 60   ; poller launch frequency
poller_time_file = /tmp/numeter-poller_last
plugins_refresh_time = 300
log_level = warning
log_level_stdr = critical
log_path = /var/log/numeter/numeter-poller.log
modules = numeter.poller.muninModule:MuninModule
rpc_hosts = localhost:5672
rpc_password = guest

[MyInfo]
name = web1
description = front web # not a comment
host_id = 1349792119-d753e11726b68a08dbb5847f0d4b8f8e

[MuninModule]
plugins_enable = ^.*$
munin_host = 127.0.0.1
munin_port = 4949
`;

describe('poller configuration', () => {
  it('reads the original numeter_poller.cfg', async () => {
    const config = await withFile(ORIGINAL, (file) => loadPollerConfig({ file, env: {} }));
    assert.equal(config.global.poller_time, 60);
    assert.equal(config.global.log_level, 'warning');
    assert.deepEqual(config.moduleSpecs, [{ kind: 'munin' }]);
    assert.equal(config.myinfo.description, 'front web # not a comment');
    assert.equal(config.myinfo.host_id, '1349792119-d753e11726b68a08dbb5847f0d4b8f8e');
    assert.equal(config.muninmodule.plugins_enable.test('cpu'), true);
    assert.equal(amqpUrlOf(config), 'amqp://guest:guest@localhost:5672/%2F');
  });

  it('has defaults for everything, and derived values', () => {
    const config = loadPollerConfig({ file: '/nonexistent/numeter_poller.cfg', env: {} });
    assert.equal(config.global.poller_time, 60);
    assert.equal(config.global.jitter, 5);
    assert.deepEqual(config.moduleSpecs, [{ kind: 'munin' }, { kind: 'system' }]);
    assert.equal(spoolDirOf(config), '/var/lib/numeter-poller/spool');
    assert.equal(rateHeartbeatOf(config), 600);
    assert.equal(config.global.spool_fsync, 1000);
    assert.equal(config.global.amqp_heartbeat, DEFAULT_HEARTBEAT_SECONDS, 'the one heartbeat default of common/bus');
    assert.equal(config.global.amqp_heartbeat, 30);
  });

  it('lets environment variables override every key', async () => {
    const env = {
      NUMETER_POLLER_GLOBAL_POLLER_TIME: '30',
      NUMETER_POLLER_MYINFO_HOST_ID: 'from-env',
      NUMETER_POLLER_MUNINMODULE_MUNIN_PORT: '24949',
      NUMETER_POLLER_GLOBAL_AMQP_VHOST: 'numeter',
      NUMETER_POLLER_GLOBAL_SPOOL_FSYNC: 'always',
    };
    const config = await withFile(ORIGINAL, (file) => loadPollerConfig({ file, env }));
    assert.equal(config.global.poller_time, 30);
    assert.equal(config.myinfo.host_id, 'from-env');
    assert.equal(config.muninmodule.munin_port, 24949);
    assert.equal(config.global.spool_fsync, 'always');
    assert.equal(amqpUrlOf(config), 'amqp://guest:guest@localhost:5672/numeter');
  });

  it('lists every problem, each naming its key', async () => {
    const problems = await problemsOf(`[global]
poller_time = soon
plugins_refresh_time = -5
enable = maybe
spool_fsync = sometimes
log_level = loud
colour = blue
[MyInfo]
host_id = ../etc
[MuninModule]
munin_port = 70000
plugins_enable = ([
`);
    const expected: Array<[string, RegExp]> = [
      ['[global] poller_time', /"soon" is not a whole number/],
      ['[global] plugins_refresh_time', /between 1 and/],
      ['[global] enable', /is not a boolean \(yes\/no/],
      ['[global] spool_fsync', /always, never or a number/],
      ['[global] log_level', /one of debug/],
      ['[global] colour', /unknown key/],
      ['[muninmodule] munin_port', /between 1 and 65535/],
      ['[muninmodule] plugins_enable', /not a valid regular expression/],
      ['[myinfo] host_id', /contains "\/"/],
    ];
    for (const [key, pattern] of expected) {
      assert.ok(
        problems.some((p) => p.startsWith(key) && pattern.test(p)),
        `${key} ${pattern}\n${problems.join('\n')}`,
      );
    }
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  it('checks keys against each other', async () => {
    const problems = await problemsOf(
      '[global]\npoller_time = 10\njitter = 10\nrate_heartbeat = 5\nrpc_hosts = a:1, b c\namqp_url = http://x\nmodules = munin||numeter.poller.fooModule:Foo\n[MyInfo]\nhost_id = ../etc\n',
    );
    for (const [key, pattern] of [
      ['[global] jitter', /less than poller_time/],
      ['[global] rate_heartbeat', /at least poller_time/],
      ['[global] rpc_hosts', /host or host:port, got "b c"/],
      ['[global] amqp_url', /amqp:\/\//],
      ['[global] modules', /empty entry/],
      ['[global] modules', /original Python poller/],
      ['[myinfo] host_id', /only of dots|contains/],
    ] as const) {
      assert.ok(
        problems.some((p) => p.startsWith(key) && pattern.test(p)),
        `${key} ${pattern}\n${problems.join('\n')}`,
      );
    }
  });

  it('refuses a missing file only when it was named explicitly', () => {
    assert.throws(
      () => loadPollerConfig({ file: '/nonexistent/x.cfg', fileRequired: true, env: {} }),
      /cannot read config file \/nonexistent\/x\.cfg/,
    );
  });

  it('prints the effective configuration with secrets masked', async () => {
    const text = await withFile(`${ORIGINAL}\n[global]\namqp_url = amqp://u:secret@h/v\n`, (file) =>
      printableConfig(loadPollerConfig({ file, env: {} })),
    );
    assert.match(text, /^\[global\]$/m);
    assert.match(text, /^poller_time = 60$/m);
    assert.match(text, /^rpc_password = \*\*\*\*\*\*\*\*$/m);
    assert.doesNotMatch(text, /secret/);
    assert.match(text, /^plugins_enable = \^\.\*\$$/m);
  });
});

describe('module list', () => {
  it('maps the original names and reads custom modules', () => {
    const { specs, errors } = parseModuleList(
      'numeter.poller.muninModule:MuninModule | SystemModule | ./mods/ups.js:createUps | numeter-module-x',
    );
    assert.deepEqual(errors, []);
    assert.deepEqual(specs, [
      { kind: 'munin' },
      { kind: 'system' },
      { kind: 'custom', specifier: './mods/ups.js', exportName: 'createUps', section: 'createups' },
      { kind: 'custom', specifier: 'numeter-module-x', section: 'numeter-module-x' },
    ]);
    assert.deepEqual(parseModuleList('munin|munin').errors, ['lists "munin" twice']);
  });
});

describe('host ID', () => {
  it('is generated once, stored in the state directory and reused', async () => {
    const temp = await tempDir('poller-hostid');
    const dir = temp.dir;
    try {
      const first = await resolveHostId({ configured: '', stateDir: join(dir, 'state'), nowSeconds: () => 1_800_000_000.7 });
      assert.equal(first.source, 'generated');
      assert.match(first.hostId, /^1800000000-[0-9a-f]{32}$/);
      const again = await Promise.all(
        [1, 2, 3].map(() => resolveHostId({ configured: '', stateDir: join(dir, 'state'), nowSeconds: () => 1 })),
      );
      assert.deepEqual(
        again.map((r) => r.hostId),
        [first.hostId, first.hostId, first.hostId],
      );
      assert.equal((await readFile(join(dir, 'state', 'host_id'), 'utf8')).trim(), first.hostId);
      assert.deepEqual(await resolveHostId({ configured: 'mine', stateDir: join(dir, 'state'), nowSeconds: () => 1 }), {
        hostId: 'mine',
        source: 'config',
      });
    } finally {
      await temp.remove();
    }
  });

  it('agrees between pollers starting at the same time', async () => {
    const temp = await tempDir('poller-hostid');
    const dir = temp.dir;
    try {
      const results = await Promise.all(
        [1, 2, 3, 4].map(() => resolveHostId({ configured: '', stateDir: dir, nowSeconds: () => 1_800_000_000 })),
      );
      assert.equal(new Set(results.map((r) => r.hostId)).size, 1);
    } finally {
      await temp.remove();
    }
  });

  it('refuses a damaged host ID file with a clear message', async () => {
    const temp = await tempDir('poller-hostid');
    const dir = temp.dir;
    try {
      await writeFile(join(dir, 'host_id'), '..\n');
      await assert.rejects(
        resolveHostId({ configured: '', stateDir: dir, nowSeconds: () => 1 }),
        /host_id: the stored host ID is made only of dots; fix or remove the file/,
      );
    } finally {
      await temp.remove();
    }
  });
});
