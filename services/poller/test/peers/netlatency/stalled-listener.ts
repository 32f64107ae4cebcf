import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Starts stalled-listener.py (Debian's python3) and returns its port and a stop function. */
export async function startStalledListener(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'stalled-listener.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())));
    child.once('exit', (code) => reject(new Error(`stalled listener exited (${code})`)));
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }),
  };
}
