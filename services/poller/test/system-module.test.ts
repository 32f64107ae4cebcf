import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { SystemModule } from '../src/modules/system/module.js';
import { parseMeminfo } from '../src/modules/system/procfs.js';
import type { Collection, Sample } from '../src/modules/types.js';

const stat = (user: number, idle: number) => `cpu  ${user} 0 100 ${idle} 50 0 50 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1 2 3\n`;

const FIXTURE: Record<string, string> = {
  'proc/stat': stat(1000, 8000),
  'proc/meminfo':
    'MemTotal:       16000000 kB\nMemFree:         4000000 kB\nMemAvailable:    9000000 kB\nBuffers:          500000 kB\nCached:          3000000 kB\nSReclaimable:     500000 kB\nSwapTotal:       2000000 kB\nSwapFree:        1500000 kB\nHugePages_Total:       0\n',
  'proc/loadavg': '0.52 0.48 0.40 2/345 6789\n',
  'proc/uptime': '172800.50 300000.00\n',
  'proc/mounts':
    '/dev/sda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/sdb1 /srv/my\\040data xfs rw 0 0\n/dev/sda1 / ext4 rw 0 0\n',
  'proc/diskstats':
    '   8       0 sda 100 0 2000 0 50 0 4000 0 0 1500 0 0 0 0 0\n   8       1 sda1 90 0 1800 0 40 0 3000 0 0 1200 0\n   7       0 loop0 1 0 2 0 0 0 0 0 0 0 0\n',
  'proc/net/dev':
    'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo: 999 9 0 0 0 0 0 0 999 9 0 0 0 0 0 0\n  eth0: 1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0\n',
  'sys/block/sda/stat': '',
  'sys/class/thermal/thermal_zone0/type': 'x86_pkg_temp\n',
  'sys/class/thermal/thermal_zone0/temp': '45000\n',
  'sys/class/hwmon/hwmon1/name': 'coretemp\n',
  'sys/class/hwmon/hwmon1/temp2_input': '51500\n',
  'sys/class/hwmon/hwmon1/temp2_label': 'Core 0\n',
};

const SPACE: Record<string, { blocks: number; bsize: number; bavail: number; bfree: number }> = {
  '/': { blocks: 1000, bsize: 4096, bfree: 400, bavail: 300 },
  '/srv/my data': { blocks: 200, bsize: 1024, bfree: 100, bavail: 100 },
};

describe('system module on a fixture root', () => {
  let rootTemp: TempDir;
  let root: string;
  let first: Collection;
  let second: Collection;
  before(async () => {
    rootTemp = await tempDir('poller-system');
    root = rootTemp.dir;
    for (const [path, text] of Object.entries(FIXTURE)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    const module = new SystemModule({
      root,
      statfs: async (path) => SPACE[path.slice(root.length) || '/'] ?? Promise.reject(new Error('no such mount')),
    });
    first = await module.collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    await writeFile(join(root, 'proc/stat'), stat(1600, 8300));
    second = await module.collect({ nowSeconds: 1_800_000_060, wantInfo: true });
  });
  after(() => rootTemp.remove());

  const valuesOf = (c: Collection, plugin: string): Sample['values'] | undefined => c.samples.find((s) => s.plugin === plugin)?.values;

  it('reads memory, swap, load and uptime exactly', () => {
    assert.deepEqual(valuesOf(first, 'system_memory'), {
      total: 16_384_000_000,
      free: 4_096_000_000,
      used: 8_192_000_000,
      buffers: 512_000_000,
      cached: 3_584_000_000,
      available: 9_216_000_000,
    });
    assert.deepEqual(valuesOf(first, 'system_swap'), { total: 2_048_000_000, free: 1_536_000_000, used: 512_000_000 });
    assert.deepEqual(valuesOf(first, 'system_load'), { load1: 0.52, load5: 0.48, load15: 0.4 });
    assert.deepEqual(valuesOf(first, 'system_uptime'), { uptime: 2 });
    assert.deepEqual(first.errors, []);
  });

  it('computes CPU percentages from two readings', () => {
    assert.equal(valuesOf(first, 'system_cpu'), undefined, 'no value from a single reading');
    // deltas: user 600, idle 300 of 900 jiffies
    assert.deepEqual(valuesOf(second, 'system_cpu'), {
      user: 66.667,
      nice: 0,
      system: 0,
      idle: 33.333,
      iowait: 0,
      irq: 0,
      softirq: 0,
      steal: 0,
      total: 66.667,
    });
  });

  it('reports disk space per real mount, skipping virtual file systems', () => {
    assert.deepEqual(valuesOf(first, 'system_df'), { _: 66.667, _srv_my_data: 50 });
    assert.deepEqual(valuesOf(first, 'system_df_bytes'), { _: 600 * 4096, _srv_my_data: 100 * 1024 });
    const df = first.plugins?.find((p) => p.plugin === 'system_df');
    assert.equal(df?.fields._srv_my_data.label, '/srv/my data');
  });

  it('reports raw I/O and network counters as DERIVE for whole disks and real interfaces', () => {
    assert.deepEqual(
      first.samples
        .filter((s) => s.plugin.startsWith('system_diskio') || s.plugin.startsWith('system_net'))
        .map((s) => [s.plugin, s.values]),
      [
        ['system_diskio.sda', { rd_bytes: 2000 * 512, wr_bytes: 4000 * 512, rd_ios: 100, wr_ios: 50, busy: 150 }],
        [
          'system_net.eth0',
          { rx_bytes: 1000, tx_bytes: 2000, rx_packets: 10, tx_packets: 20, rx_errors: 1, tx_errors: 3, rx_drop: 2, tx_drop: 4 },
        ],
      ],
    );
    const io = first.plugins?.find((p) => p.plugin === 'system_diskio.sda');
    assert.equal(io?.fields.rd_bytes.type, 'DERIVE');
    assert.equal(io?.fields.rd_bytes.min, 0);
  });

  it('reads thermal zones and hwmon sensors in degrees Celsius', () => {
    assert.deepEqual(valuesOf(first, 'system_temperature'), { thermal_zone0: 45, hwmon1_temp2: 51.5 });
    assert.equal(first.plugins?.find((p) => p.plugin === 'system_temperature')?.fields.hwmon1_temp2.label, 'coretemp Core 0');
  });

  it('goes on when a source is missing', async () => {
    const emptyTemp = await tempDir('poller-system-empty');
    const empty = emptyTemp.dir;
    try {
      await mkdir(join(empty, 'proc'));
      await writeFile(join(empty, 'proc/loadavg'), FIXTURE['proc/loadavg']);
      const collection = await new SystemModule({ root: empty }).collect({ nowSeconds: 1_800_000_000, wantInfo: true });
      assert.deepEqual(
        collection.samples.map((s) => s.plugin),
        ['system_load'],
      );
      assert.equal(collection.errors?.length, 6, collection.errors?.join('\n'));
    } finally {
      await emptyTemp.remove();
    }
  });
});

describe('system module on the real /proc', () => {
  it('gives plausible values', async () => {
    const module = new SystemModule({ root: '/' });
    await module.collect({ nowSeconds: 1_800_000_000, wantInfo: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const collection = await module.collect({ nowSeconds: 1_800_000_001, wantInfo: true });
    assert.deepEqual(collection.errors, []);
    const cpu = collection.samples.find((s) => s.plugin === 'system_cpu')?.values ?? {};
    for (const [state, value] of Object.entries(cpu)) assert.ok(value !== null && value >= 0 && value <= 100, `${state} = ${value}`);
    const states = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'].reduce((sum, s) => sum + (cpu[s] ?? 0), 0);
    assert.ok(Math.abs(states - 100) < 0.01, `CPU states add up to ${states}`);
    const meminfo = parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
    const memory = collection.samples.find((s) => s.plugin === 'system_memory')?.values ?? {};
    assert.equal(memory.total, meminfo.get('MemTotal'));
    assert.ok((memory.used ?? -1) >= 0 && (memory.used ?? Infinity) <= (memory.total ?? 0));
    const df = collection.samples.find((s) => s.plugin === 'system_df')?.values ?? {};
    assert.ok(df._ !== undefined && df._ !== null && df._ >= 0 && df._ <= 100, `root file system ${df._}%`);
    assert.ok(
      collection.samples.some((s) => s.plugin.startsWith('system_net.')),
      'at least one network interface',
    );
  });
});
