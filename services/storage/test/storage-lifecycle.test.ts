/**
 * The storage service's lifecycle on the real broker and Redis: ten start/stop cycles in one
 * process leave nothing running, a second concurrent stop awaits the first, and a start that
 * fails half way (the API port is taken, after the consumers started) undoes what it started.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FORCE_CLOSE_MS } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { uniqueName } from '../../../common/testing/names.js';
import { createVhost, type Vhost } from '../../../common/testing/rabbitmq-vhost.js';
import { deleteRedisPrefix } from '../../../common/testing/redis-prefix.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../../common/testing/resources.js';
import { TcpProxy } from '../../../common/testing/tcp-proxy.js';
import type { TempDir } from '../../../common/testing/temp-dir.js';
import { StorageService } from '../src/storage-service.js';
import { tempDir, testConfig } from './ingest-fixtures.js';

describe('storage service lifecycle', () => {
  let vhost: Vhost;
  let dir: TempDir;
  const prefixes: string[] = [];
  const config = (api: { port: string } = { port: '0' }, amqpUrl = vhost.url) => {
    const prefix = `${uniqueName('lifecycle')}:`;
    prefixes.push(prefix);
    return testConfig({
      storageName: uniqueName('life'),
      amqpUrl,
      wspPath: join(dir.dir, 'wsp'),
      prefix,
      extra: { api: { enabled: 'true', host: '127.0.0.1', ...api } },
    });
  };

  before(async () => {
    vhost = await createVhost('numeter-storage-lifecycle');
    dir = await tempDir('storage-lifecycle');
  });
  after(async () => {
    for (const prefix of prefixes) await deleteRedisPrefix(prefix);
    await dir?.remove();
    await vhost?.delete();
  });

  it('ten start/stop cycles in one process leave no timer, socket or handle behind', async () => {
    const cfg = config();
    const baseline = await resourceBaseline();
    for (let i = 0; i < 10; i++) {
      const service = new StorageService({ config: cfg, hostIds: [], logger: silentLogger() });
      const { apiPort } = await service.start();
      assert.ok(apiPort > 0, 'the API listens');
      await service.waitUntilConsuming();
      await service.stop(5000);
    }
    await assertNoResourcesLeft(baseline);
  });

  it('a second stop while the first is draining awaits it', async () => {
    const service = new StorageService({ config: config(), hostIds: [], logger: silentLogger() });
    await service.start();
    await service.waitUntilConsuming();
    const order: string[] = [];
    const first = service.stop(5000).then(() => order.push('first'));
    const second = service.stop(5000).then(() => order.push('second'));
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first', 'second'], 'the second stop resolved only once the first had');
    assert.equal(service.stats().consumer_connected, 0);
  });

  it('a start that fails half way (API port taken) rejects and leaves nothing running', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const baseline = await resourceBaseline();
      const service = new StorageService({ config: config({ port: String(port) }), hostIds: [], logger: silentLogger() });
      await assert.rejects(service.start(), /EADDRINUSE|in use/);
      assert.equal(service.stats().consumer_connected, 0, 'the consumer that had started is stopped again');
      await assertNoResourcesLeft(baseline);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('stops within one deadline when the broker hangs (no answer, no reset), the API still closing after it', async () => {
    const proxy = new TcpProxy();
    await proxy.start();
    try {
      const service = new StorageService({ config: config({ port: '0' }, proxy.url(vhost.name)), hostIds: [], logger: silentLogger() });
      await service.start();
      await service.waitUntilConsuming();
      proxy.freeze();
      const deadlineMs = 1500;
      const started = performance.now();
      await service.stop(deadlineMs);
      const tookMs = performance.now() - started;
      // One deadline for all the steps (a late step gets FORCE_CLOSE_MS, 500 ms, to force-close),
      // not a fresh allowance per step (which waited for the hung consumers until deadline + 1 s).
      assert.ok(tookMs < deadlineMs + FORCE_CLOSE_MS + 400, `stop took ${Math.round(tookMs)} ms for a ${deadlineMs} ms deadline`);
      assert.equal(service.stats().consumer_connected, 0);
    } finally {
      await proxy.stop();
    }
  });
});
