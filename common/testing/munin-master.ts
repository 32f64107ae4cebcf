import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real Munin master data for tests and benchmarks: Debian's `munin-update` (run as the
 * `munin` user, which it insists on) against running munin-nodes writes a real
 * datafile and RRD files; `createMuninRrd` makes a long history with `rrdtool
 * create/update` in Munin's naming and RRA layout (step 300; AVERAGE/MIN/MAX at 5 min x
 * 576, 30 min x 432, 2 h x 540, 1 day x 450; one data source named "42").
 */
const run = promisify(execFile);

export const MUNIN_UPDATE = '/usr/share/munin/munin-update';

export const MUNIN_RRAS = [1, 6, 24, 288].flatMap((pdp, i) =>
  ['AVERAGE', 'MIN', 'MAX'].map((cf) => `RRA:${cf}:0.5:${pdp}:${[576, 432, 540, 450][i]}`),
);

export interface MuninMasterNode {
  group: string;
  name: string;
  port: number;
}

/**
 * Writes `<dir>/munin.conf` (dbdir `<dir>/db`) for these nodes and runs munin-update once.
 * The parents of `dir` must let the munin user through (mkdtemp makes 0700 directories).
 */
export async function runMuninUpdate(dir: string, nodes: readonly MuninMasterNode[]): Promise<{ conf: string; dbdir: string }> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  for (const sub of ['db', 'html', 'log', 'run']) await mkdir(join(dir, sub), { recursive: true });
  const conf = join(dir, 'munin.conf');
  const sections = nodes.map((n) => `[${n.group};${n.name}]\n  address 127.0.0.1\n  port ${n.port}\n  use_node_name yes\n`);
  await writeFile(conf, [`dbdir ${dir}/db`, `htmldir ${dir}/html`, `logdir ${dir}/log`, `rundir ${dir}/run`, ...sections].join('\n'));
  const { stdout } = await run('id', ['-u', 'munin']);
  const { stdout: gid } = await run('id', ['-g', 'munin']);
  for (const sub of ['db', 'html', 'log', 'run']) await chown(join(dir, sub), Number(stdout), Number(gid));
  await run('runuser', ['-u', 'munin', '--', MUNIN_UPDATE, '--config_file', conf], { timeout: 120_000 });
  return { conf, dbdir: join(dir, 'db') };
}

export interface RrdHistory {
  /** Epoch seconds of the first and last update (multiples of 300). */
  start: number;
  end: number;
  type: 'GAUGE' | 'DERIVE';
  /** Value at time t; null = unknown (U). */
  value: (t: number) => number | null;
}

/** A Munin-shaped RRD file with a value every 5 minutes from `start` to `end`. */
export async function createMuninRrd(file: string, history: RrdHistory): Promise<void> {
  const min = history.type === 'DERIVE' ? '0' : 'U';
  await run('rrdtool', [
    'create',
    file,
    '--start',
    String(history.start - 300),
    '--step',
    '300',
    `DS:42:${history.type}:600:${min}:U`,
    ...MUNIN_RRAS,
  ]);
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length) await run('rrdtool', ['update', file, ...batch], { maxBuffer: 1 << 20 });
    batch = [];
  };
  for (let t = history.start; t <= history.end; t += 300) {
    const value = history.value(t);
    batch.push(`${t}:${value === null ? 'U' : value}`);
    if (batch.length >= 2000) await flush();
  }
  await flush();
}

/** `rrdtool fetch FILE AVERAGE -r RES -s START -e END` as printed: [interval end, value or null]. */
export async function rrdFetch(file: string, resolution: number, start: number, end: number): Promise<Array<[number, number | null]>> {
  const { stdout } = await run('rrdtool', ['fetch', file, 'AVERAGE', '-r', String(resolution), '-s', String(start), '-e', String(end)], {
    maxBuffer: 64 << 20,
  });
  return stdout.split('\n').flatMap((line): Array<[number, number | null]> => {
    const match = /^(\d+):\s+(\S+)/.exec(line);
    if (!match) return [];
    const value = Number(match[2]);
    return [[Number(match[1]), Number.isFinite(value) ? value : null]];
  });
}
