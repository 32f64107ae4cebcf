import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BusConsumer } from '../../../common/bus/index.js';
import {
  type Component,
  ComponentGroup,
  EXIT_WATCHDOG_MS,
  FORCE_CLOSE_MS,
  runService,
  type ServiceProcess,
} from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { eventually } from '../../../common/testing/eventually.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../../common/testing/resources.js';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { loadPollerConfig } from '../src/config/schema.js';
import { buildPoller } from '../src/poller-service.js';
import { Spool } from '../src/spool/index.js';
import { runPoller } from './peers/run-poller.js';

/** Signals sent by the test; exit() is recorded, not obeyed. */
class FakeProcess extends EventEmitter implements ServiceProcess {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

/** Custom modules as an operator would write them, one file each. */
const MODULES = {
  steady: `export function createModule() {
  return {
    name: 'steady',
    collect: async () => ({
      plugins: [{ plugin: 'steady', title: 'steady', fields: { v: { label: 'v', type: 'GAUGE' } } }],
      samples: [{ plugin: 'steady', values: { v: 1 } }],
    }),
  };
}`,
  listener: `export function createModule() {
  return { name: 'listener', start: async () => { throw new Error('port 2003 is in use'); }, collect: async () => ({ samples: [] }) };
}`,
  hung: `export function createModule(context) {
  return {
    name: 'hung',
    collect: () => {
      context.logger.info('hung poll started');
      // Never answers, and holds a timer as a stuck socket would.
      return new Promise(() => setInterval(() => {}, 1000));
    },
  };
}`,
};

const byName = (components: Component[], name: string) => components.find((c) => c.name === name) as Component;

/** stop_deadline of the hung-module run. */
const STOP_DEADLINE_MS = 2000;
/** What a child process's own scheduling may add to a bound on a loaded machine. */
const PROCESS_MARGIN_MS = 1500;

describe('poller components: the shared lifecycle', () => {
  let vhost: Vhost;
  let temp: TempDir;
  let consumer: BusConsumer;
  const env = (stateDir: string, module: keyof typeof MODULES): NodeJS.ProcessEnv => ({
    NUMETER_POLLER_GLOBAL_STATE_DIR: join(temp.dir, stateDir),
    NUMETER_POLLER_GLOBAL_MODULES: join(temp.dir, `${module}.mjs`),
    NUMETER_POLLER_GLOBAL_AMQP_URL: vhost.url,
    NUMETER_POLLER_GLOBAL_POLLER_TIME: '1',
    NUMETER_POLLER_GLOBAL_JITTER: '0',
    NUMETER_POLLER_MYINFO_HOST_ID: 'lifecycle-host',
  });
  const config = (stateDir: string, module: keyof typeof MODULES) =>
    loadPollerConfig({ file: join(temp.dir, 'absent.cfg'), env: env(stateDir, module) });

  before(async () => {
    temp = await tempDir('poller-lifecycle');
    for (const [name, source] of Object.entries(MODULES)) await writeFile(join(temp.dir, `${name}.mjs`), source);
    vhost = await createVhost('numeter-poller-lifecycle');
    // A bound queue, so the forwarder's publishes are routed and confirmed.
    consumer = new BusConsumer({
      url: vhost.url,
      queue: 'lifecycle',
      bindings: ['#'],
      prefetch: 50,
      handler: async () => ({ action: 'ack' }),
    });
    await consumer.start();
    await eventually(() => consumer.connected, 10_000, 'consumer connected');
  });
  after(async () => {
    await consumer?.stop(2000);
    await vhost?.delete();
    await temp?.remove();
  });

  it('ten start/stop cycles in one process poll and deliver each time and leave nothing running', async () => {
    const poller = await buildPoller(config('cycles', 'steady'), { once: false, simulate: false }, silentLogger());
    const proc = new FakeProcess();
    const before = await resourceBaseline();
    for (let cycle = 1; cycle <= 10; cycle++) {
      const running = runService(poller.components, { name: 'poller', logger: silentLogger(), stopDeadlineMs: 5000, process: proc });
      await eventually(() => (byName(poller.components, 'forward').stats().confirmed ?? 0) >= cycle, 10_000, `poll ${cycle} confirmed`);
      proc.emit('SIGTERM', 'SIGTERM');
      assert.equal(await running, 0);
    }
    assert.deepEqual(proc.exits, []);
    assert.ok(poller.summary().polls >= 10);
    await assertNoResourcesLeft(before);
  });

  it('a second concurrent stop awaits the first: both resolve once the spool is closed and unlocked', async () => {
    const poller = await buildPoller(config('concurrent', 'steady'), { once: false, simulate: false }, silentLogger());
    const group = new ComponentGroup('poller', poller.components);
    await group.start();
    const first = group.stop(5000);
    const second = group.stop(5000);
    await second;
    const other = new Spool({ dir: join(temp.dir, 'concurrent', 'spool') });
    await other.start(); // the lock is free: the first stop has finished too
    await other.stop();
    await first;
  });

  it('a start that fails half way stops what had started: the spool lock is released and the broker connection closed', async () => {
    const before = await resourceBaseline();
    const poller = await buildPoller(config('half-way', 'listener'), { once: false, simulate: false }, silentLogger());
    const code = await runService(poller.components, {
      name: 'poller',
      logger: silentLogger(),
      stopDeadlineMs: 2000,
      process: new FakeProcess(),
    });
    assert.equal(code, 1);
    assert.equal(byName(poller.components, 'bus').stats().connected, 0);
    const other = new Spool({ dir: join(temp.dir, 'half-way', 'spool') });
    await other.start();
    await other.stop();
    await assertNoResourcesLeft(before);
  });

  it('SIGTERM with a hung module: the poller exits within the stop deadline, not after the module timeout', async () => {
    let signalledAt = 0;
    const run = await runPoller(
      [],
      {
        ...env('hung', 'hung'),
        NUMETER_POLLER_GLOBAL_STOP_DEADLINE: String(STOP_DEADLINE_MS / 1000),
        NUMETER_POLLER_GLOBAL_MODULE_TIMEOUT: '120',
      },
      {
        timeoutMs: 60_000,
        onStderr: (text, child) => {
          if (!signalledAt && text.includes('hung poll started')) {
            signalledAt = Date.now();
            child.kill('SIGTERM');
          }
        },
      },
    );
    const tookMs = Date.now() - signalledAt;
    assert.ok(signalledAt > 0, run.stderr);
    assert.equal(run.signal, null, 'it exited by itself, not killed');
    // The stop deadline, a late part's force-close, then the exit watchdog (the module's timer
    // holds the event loop); far below the module timeout (120 s) the poll would otherwise wait for.
    const boundMs = STOP_DEADLINE_MS + FORCE_CLOSE_MS + EXIT_WATCHDOG_MS;
    assert.ok(tookMs < boundMs + PROCESS_MARGIN_MS, `exited ${tookMs} ms after SIGTERM (bound ${boundMs} ms)`);
    assert.match(run.stderr, /the running poll did not finish by the stop deadline/);
  });
});
