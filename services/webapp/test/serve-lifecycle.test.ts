import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EXIT_WATCHDOG_MS, FORCE_CLOSE_MS } from '../../../common/lifecycle/index.js';
import { silentLogger } from '../../../common/logging/index.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../../common/testing/resources.js';
import { STOP_DEADLINE_MS } from '../src/config.js';
import { buildDeps } from '../src/deps.js';
import { WebappServer } from '../src/server.js';
import { createTestDatabase } from './helpers.js';
import { runMain } from './run-main.js';

describe('webapp server: the shared lifecycle', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    db = await createTestDatabase({ NUMETER_WEBAPP_WEB_PORT: '0' });
  });
  after(() => db?.drop());

  it('ten start/stop cycles in one process serve each time and leave nothing running; a second stop awaits the first', async () => {
    const deps = buildDeps(db.config, { logger: silentLogger() });
    const server = new WebappServer(deps);
    await server.start(); // migrations and the pool's first connections, outside the baseline
    await server.stop();
    const before = await resourceBaseline();
    for (let cycle = 0; cycle < 10; cycle++) {
      const { port } = await server.start();
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(response.status, 200);
      let firstDone = false;
      const first = server.stop(2000).then(() => {
        firstDone = true;
      });
      await server.stop(2000);
      assert.equal(firstDone, true, 'the second stop resolved before the first');
      await first;
    }
    assert.equal(server.stats().started, 11);
    await assertNoResourcesLeft(before);
    await deps.close();
  });

  it('numeter-webapp serve stops on SIGTERM and exits 0 by itself, without process.exit', async () => {
    const run = await runMain(['serve'], db.env, {
      timeoutMs: 30_000,
      onStderr: (stderr, child) => {
        if (stderr.includes('numeter-webapp listening') && !child.killed) child.kill('SIGTERM');
      },
    });
    assert.equal(run.signal, null, run.stderr);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /webapp stopped/);
    assert.doesNotMatch(run.stderr, /still holds the process/, 'everything closed: the process ended by itself');
  });

  it('a start that fails half way (the port taken, after the database was migrated) exits 1 by itself, the pool closed', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((taken.address() as AddressInfo).port);
      const run = await runMain(
        ['serve'],
        { ...db.env, NUMETER_WEBAPP_WEB_PORT: port, NUMETER_WEBAPP_WEB_HOST: '127.0.0.1' },
        { timeoutMs: 30_000 },
      );
      assert.equal(run.signal, null, run.stderr);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /webapp failed to start/);
      assert.match(run.stderr, /EADDRINUSE/);
      assert.doesNotMatch(run.stderr, /still holds the process/, 'the pool the start had opened was closed: the process ended by itself');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('SIGTERM with a request that never finishes (a body that never arrives): serve exits within its stop deadline', async () => {
    let client: Socket | undefined;
    let signalledAt = 0;
    const run = await runMain(['serve'], db.env, {
      timeoutMs: 60_000,
      onStderr: (stderr, child) => {
        const listening = /"port":(\d+)[^\n]*numeter-webapp listening/.exec(stderr);
        if (!listening || client) return;
        client = connect(Number(listening[1]), '127.0.0.1', () => {
          // A JSON body announced and never sent: body parsing holds the request open.
          client?.write('POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user');
          setTimeout(() => {
            signalledAt = Date.now();
            child.kill('SIGTERM');
          }, 200);
        });
        client.on('error', () => {});
      },
    });
    client?.destroy();
    assert.ok(signalledAt > 0, run.stderr);
    assert.equal(run.signal, null, `killed, not exited by itself: ${run.stderr}`);
    const tookMs = run.exitedAt - signalledAt;
    // The stop deadline, the force-close allowance and the exit watchdog at most (and 2 s of process scheduling).
    assert.ok(tookMs < STOP_DEADLINE_MS + FORCE_CLOSE_MS + EXIT_WATCHDOG_MS + 2000, `exited ${tookMs} ms after SIGTERM`);
    // closeHttpServer closes what is still open at the deadline, so the stop ends in time: exit 0.
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /webapp stopped/);
  });
});
