import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs Debian's real munin-node (installed by deploy/local/test.sh, not running) on
 * 127.0.0.1:<port> for tests, adapted from the reference munin-node.sh recipe. It never
 * touches /etc/munin: munin-node has no option for its plugin directories, so a private
 * copy of /usr/sbin/munin-node is patched to use this instance's plugins/ and
 * plugin-conf.d/ directories. Stopped by its own pid.
 */
export const MUNIN_NODE = '/usr/sbin/munin-node';

export interface MuninNodeOptions {
  port: number;
  /** Plugin files to install (default: none). */
  pluginFiles?: string[];
  /** Extra plugins as name → shell script text (the benchmark's cheap plugins). */
  extraPlugins?: Record<string, string>;
  /** Per-plugin munin-node timeouts in seconds. */
  timeouts?: Record<string, number>;
  hostName?: string;
}

export interface RunningMuninNode {
  port: number;
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startMuninNode(options: MuninNodeOptions): Promise<RunningMuninNode> {
  const dir = await mkdtemp(join(tmpdir(), 'numeter-munin-'));
  await chmod(dir, 0o755); // plugins run as munin-node's default user (nobody)
  const plugins = join(dir, 'plugins');
  const pluginConf = join(dir, 'plugin-conf.d');
  await mkdir(plugins);
  await mkdir(pluginConf);
  const files = options.pluginFiles ?? [];
  for (const file of files) {
    const target = join(plugins, file.split('/').pop() as string);
    await copyFile(file, target);
    await chmod(target, 0o755);
  }
  for (const [name, text] of Object.entries(options.extraPlugins ?? {})) await writeFile(join(plugins, name), text, { mode: 0o755 });
  const conf = Object.entries(options.timeouts ?? {}).map(([plugin, seconds]) => `[${plugin}]\ntimeout ${seconds}\n`);
  await writeFile(join(pluginConf, 'poller-test'), conf.join('\n'));
  const script = (await readFile(MUNIN_NODE, 'utf8'))
    .replace(/^my \$servicedir;$/m, `my $servicedir = "${plugins}";`)
    .replace(/^my \$sconfdir = .*;$/m, `my $sconfdir = "${pluginConf}";`);
  if (!script.includes(plugins) || !script.includes(pluginConf)) throw new Error('cannot patch munin-node: its source changed');
  await writeFile(join(dir, 'munin-node'), script, { mode: 0o755 });
  await writeFile(join(dir, 'munin-node.conf'), nodeConfig(dir, options));
  const child = spawn('/usr/bin/perl', ['-wT', join(dir, 'munin-node'), '--foreground', '--config', join(dir, 'munin-node.conf')], {
    stdio: 'ignore',
    detached: false,
  });
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForBanner(options.port, child);
  } catch (error) {
    const log = await readFile(join(dir, 'munin-node.log'), 'utf8').catch(() => '');
    await stop();
    throw new Error(`munin-node did not start on port ${options.port}: ${(error as Error).message}\n${log.slice(-2000)}`);
  }
  return { port: options.port, dir, pid: child.pid as number, stop };
}

function nodeConfig(dir: string, options: MuninNodeOptions): string {
  return [
    'log_level 4',
    `log_file ${dir}/munin-node.log`,
    `pid_file ${dir}/munin-node.pid`,
    'background 0',
    'setsid 0',
    'user root',
    'group root',
    `host_name ${options.hostName ?? 'poller-test.local'}`,
    'host 127.0.0.1',
    `port ${options.port}`,
    'allow ^127\\.0\\.0\\.1$',
    'timeout 20',
    'global_timeout 120',
    '',
  ].join('\n');
}

async function waitForBanner(port: number, child: ChildProcess): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await bannerAnswers(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no banner within 30 s');
}

function bannerAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
    socket.once('data', (data) => {
      socket.end('quit\n');
      resolve(data.toString().startsWith('# munin node at '));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
