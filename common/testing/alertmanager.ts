/**
 * Debian's prometheus-alertmanager as the receiver of alerts sent to its v2 API, read back
 * with its own `GET /api/v2/alerts`. One instance per test: its own port, storage directory,
 * no cluster listener, a route to a receiver that sends nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const BINARY = '/usr/bin/prometheus-alertmanager';

export interface Alertmanager {
  base: string;
  /** Its alerts as GET /api/v2/alerts returns them (`active=true&silenced=true&inhibited=true&unprocessed=true`). */
  alerts(): Promise<
    Array<{
      labels: Record<string, string>;
      annotations: Record<string, string>;
      status: { state: string };
      startsAt: string;
      endsAt: string;
      generatorURL?: string;
    }>
  >;
  stop(): Promise<void>;
}

export async function startAlertmanager(workDir: string): Promise<Alertmanager> {
  const config = join(workDir, 'alertmanager.yml');
  writeFileSync(config, ['route:', '  receiver: nobody', 'receivers:', '  - name: nobody', ''].join('\n'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    BINARY,
    [
      `--config.file=${config}`,
      `--storage.path=${join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 150 || child.exitCode !== null) {
      child.kill();
      throw new Error('prometheus-alertmanager did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    async alerts() {
      const response = await fetch(`${base}/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true`);
      if (!response.ok) throw new Error(`GET /api/v2/alerts: ${response.status}`);
      return (await response.json()) as Awaited<ReturnType<Alertmanager['alerts']>>;
    },
    async stop() {
      if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}
