import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../../common/logging/index.js';
import { assertNoResourcesLeft, resourceBaseline } from '../../../common/testing/resources.js';
import { buildDeps } from '../src/deps.js';
import { WebappServer } from '../src/server.js';
import { createTestDatabase } from './helpers.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

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
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve'], {
      env: { ...process.env, ...db.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('numeter-webapp listening') && !child.killed) child.kill('SIGTERM');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    assert.equal(signal, null, stderr);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /webapp stopped/);
    assert.doesNotMatch(stderr, /still holds the process/, 'everything closed: the process ended by itself');
  });
});
