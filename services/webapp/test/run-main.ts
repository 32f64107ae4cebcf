import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface MainRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** When it exited (Date.now()), to measure from a signal the test sent. */
  exitedAt: number;
}

/**
 * Runs `numeter-webapp <args>` with `env` added until it exits (killed after `timeoutMs`,
 * which the test then sees as `signal`); `onStderr` sees the log so far as it grows.
 */
export async function runMain(
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; onStderr?: (stderr: string, child: ChildProcess) => void } = {},
): Promise<MainRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    options.onStderr?.(stderr, child);
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(killer);
  return { code, signal, stderr, exitedAt: Date.now() };
}
