import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../../../../common/testing/temp-dir.js';

/**
 * Debian's real snmpd on udp 127.0.0.1:<port> (never the default 161, never another
 * address), serving APC rPDU objects through the `pass` script next to this file from
 * value files the test rewrites between polls (adapted from the shared snmp recipe).
 * Community `public` (v1/v2c) and a v3 user with SHA authentication and AES privacy.
 */
export const PASS_SCRIPT = join(import.meta.dirname, 'pdu-pass.pl');
export const V3_USER = { name: 'numeter', authKey: 'numeter-auth-pass', privKey: 'numeter-priv-pass' };

export interface RunningSnmpd {
  port: number;
  dir: string;
  /** Sets the value files the pass script reads (name → value); '' removes a value. */
  set(values: Record<string, string | number>): Promise<void>;
  stop(): Promise<void>;
}

export async function startSnmpd(port: number): Promise<RunningSnmpd> {
  const temp = await tempDir('poller-snmpd');
  const dir = temp.dir;
  const values = join(dir, 'values');
  const state = join(dir, 'state');
  await mkdir(values);
  await mkdir(state);
  const conf = [
    `agentAddress udp:127.0.0.1:${port}`,
    'rocommunity public 127.0.0.1',
    `createUser ${V3_USER.name} SHA "${V3_USER.authKey}" AES "${V3_USER.privKey}"`,
    `rouser ${V3_USER.name} authpriv`,
    'sysName test-pdu',
    `pass .1.3.6.1.4.1.318.1.1.12 /usr/bin/env PDU_SIM_DIR=${values} /usr/bin/perl ${PASS_SCRIPT}`,
  ].join('\n');
  await writeFile(join(dir, 'snmpd.conf'), `${conf}\n`);
  // -C: only our config file; persistent state (v3 engine boots) in our own directory.
  const child = spawn(
    '/usr/sbin/snmpd',
    [
      '-f',
      '-Lo',
      '-C',
      '-c',
      join(dir, 'snmpd.conf'),
      '-p',
      join(dir, 'snmpd.pid'),
      `--persistentDir=${state}`,
      '-I',
      '-smux,mteTrigger,mteTriggerConf',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  await waitForStart(child, () => output);
  return {
    port,
    dir,
    async set(next) {
      for (const [name, value] of Object.entries(next)) await writeFile(join(values, name), `${value}\n`);
    },
    async stop() {
      await stopChild(child);
      await temp.remove();
    },
  };
}

async function waitForStart(child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`snmpd exited (${child.exitCode}): ${output().slice(-500)}`);
    if (/NET-SNMP version \d/.test(output())) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopChild(child);
  throw new Error(`snmpd did not start within 10 s: ${output().slice(-500)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
