import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createVhost, type Vhost } from '../../testing/rabbitmq-vhost.js';

let vhost: Vhost;
before(async () => {
  vhost = await createVhost('numeter-exit');
});
after(async () => {
  await vhost?.delete();
});

it('a process ends by itself promptly after BusConsumer.stop(): no timer is left running', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./stop-exit-child.ts', import.meta.url)), vhost.url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const exited = Date.now();
  assert.equal(code, 0, stderr);
  const stopped = Number(/stopped (\d+)/.exec(stdout)?.[1]);
  assert.ok(stopped > 0, `the child printed its stop time: ${stdout}`);
  // The stop deadline is 10 s; a leaked timer would hold the process that long.
  assert.ok(exited - stopped < 3000, `exited ${exited - stopped} ms after stop()`);
});
