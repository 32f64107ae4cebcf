import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { createLogger } from '../../../common/logging/index.js';
import type { Message } from '../../../common/schemas/index.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../../common/testing/resources.js';
import { CarbonModule } from '../src/modules/carbon/module.js';
import { carbonSection } from '../src/modules/carbon/settings.js';
import { StatsdModule } from '../src/modules/statsd/module.js';
import { statsdSection } from '../src/modules/statsd/settings.js';

const logger = createLogger({ name: 'listener-lifecycle-test', level: 'silent' });
const deps = (published: Message[]) => ({
  publish: async (messages: Message[]) => void published.push(...messages),
  selfHost: 'self',
  logger,
  nowSeconds: () => Date.now() / 1000,
  refreshSeconds: 300,
  maxPointsPerMessage: 500,
});

describe('carbon and statsd listeners as components', () => {
  test('ten start/stop cycles leave no socket or timer behind, and each stop flushes what was accepted', async () => {
    const baseline = await resourceBaseline();
    const published: Message[] = [];
    const carbon = new CarbonModule(carbonSection.parse({ listen: '127.0.0.1:0', flush_interval: '60' }), deps(published));
    const statsd = new StatsdModule(statsdSection.parse({ listen: '127.0.0.1:0' }), deps(published));
    for (let cycle = 0; cycle < 10; cycle++) {
      await Promise.all([carbon.start(), carbon.start(), statsd.start()]);
      const socket = connect(carbon.ports.tcp, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(`cycle.p.v ${cycle} ${1800000000 + cycle}\n`);
      const deadline = Date.now() + 5000;
      while (carbon.stats().values <= cycle && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      // The client stays connected: the stop closes it within its deadline.
      await Promise.all([carbon.stop(2000), carbon.stop(2000), statsd.stop()]);
      socket.destroy();
    }
    const values = published.flatMap((m) => (m.kind === 'data' ? m.points.map((p) => p.values.v) : []));
    assert.deepEqual(values, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await assertNoResourcesLeft(baseline);
  });

  test('a client that keeps its connection open cannot hold the stop past its deadline', async () => {
    const carbon = new CarbonModule(carbonSection.parse({ listen: '127.0.0.1:0' }), deps([]));
    await carbon.start();
    const socket = connect(carbon.ports.tcp, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('half a li');
    const started = Date.now();
    await carbon.stop(300);
    assert.ok(Date.now() - started < 3000, `stopped in ${Date.now() - started} ms`);
    socket.destroy();
  });
});

describe('carbon and statsd stops honour their deadline', () => {
  /** A spool that never answers (a stuck disk): what it was given is all it ever gets. */
  const hungSpool = () => {
    const given: Message[] = [];
    return { given, deps: { ...deps([]), publish: (messages: Message[]) => new Promise<void>(() => void given.push(...messages)) } };
  };

  test('carbon: closes its listener at once, hands what it accepted to the spool, and returns by the deadline when the spool hangs', async () => {
    const spool = hungSpool();
    const carbon = new CarbonModule(carbonSection.parse({ listen: '127.0.0.1:0', flush_interval: '60' }), spool.deps);
    await carbon.start();
    const socket = connect(carbon.ports.tcp, '127.0.0.1');
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('deadline.p.a 1 1800000000\ndeadline.p.b 2 1800000000\n');
    const until = Date.now() + 5000;
    while (carbon.stats().values < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await carbon.stop(400);
    const took = Date.now() - started;
    assert.ok(took < 1500, `stopped in ${took} ms with a 400 ms deadline`);
    const points = spool.given.flatMap((m) => (m.kind === 'data' ? m.points : []));
    assert.deepEqual(points, [{ plugin: 'p', timestamp: 1800000000, values: { a: 1, b: 2 } }]);
    assert.equal(carbon.stats().valuesLostAtStop, 2);
    assert.equal(carbon.stats().valuesSpooled, 0);
    await assert.rejects(
      new Promise((resolve, reject) => connect(carbon.ports.tcp, '127.0.0.1').once('connect', resolve).once('error', reject)),
      /ECONNREFUSED/,
    );
    socket.destroy();
  });

  test('statsd: flushes the interval so far within the deadline, and returns by it when the spool hangs', async () => {
    const spool = hungSpool();
    const statsd = new StatsdModule(statsdSection.parse({ listen: '127.0.0.1:0', flush_interval: '60' }), spool.deps);
    await statsd.start();
    const client = createSocket('udp4');
    await new Promise<void>((resolve) => client.send('deadline.app.hits:3|c', statsd.port, '127.0.0.1', () => resolve()));
    const until = Date.now() + 5000;
    while (statsd.stats().samples < 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    client.close();
    const started = Date.now();
    await statsd.stop(400);
    const took = Date.now() - started;
    assert.ok(took < 1500, `stopped in ${took} ms with a 400 ms deadline`);
    const counts = spool.given.flatMap((m) => (m.kind === 'data' ? m.points.map((p) => p.values.hits_count) : []));
    assert.deepEqual(counts, [3]);
    assert.equal(statsd.stats().valuesLostAtStop, 2); // hits (the rate) and hits_count
    assert.equal(statsd.stats().valuesSpooled, 0);
  });
});
