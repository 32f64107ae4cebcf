import { readdir, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { type FieldInfo, toFieldName } from '../../../../../common/schemas/index.js';
import type { Collection, CollectRequest, PluginDescription, PollerModule, Sample } from '../types.js';
import {
  CPU_STATES,
  type CpuTimes,
  parseCpuTimes,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseUptimeSeconds,
} from './procfs.js';
import { readTemperatures } from './thermal.js';

export interface SpaceInfo {
  blocks: number;
  bsize: number;
  bavail: number;
  bfree: number;
}

export interface SystemModuleOptions {
  /** `/` in production; a fixture directory in tests. */
  root: string;
  /** File system space of a path (fs.statfs by default). */
  statfs?: (path: string) => Promise<SpaceInfo>;
}

/**
 * The machine itself, read from /proc and /sys directly (no munin-node needed): CPU %,
 * memory and swap, load, disk space per mount, disk I/O per device, network per
 * interface, uptime and temperatures. Counters (disk I/O, network) are returned raw as
 * DERIVE fields; the core turns them into rates. CPU percentages need two readings: the
 * first poll after a start has none.
 */
export class SystemModule implements PollerModule {
  readonly name = 'system';
  private previousCpu: CpuTimes | null = null;
  private readonly counters = { polls: 0, readErrors: 0 };
  private readonly statfs: (path: string) => Promise<SpaceInfo>;

  constructor(private readonly options: SystemModuleOptions) {
    this.statfs = options.statfs ?? ((path) => statfs(path));
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  async collect(request: CollectRequest): Promise<Collection> {
    this.counters.polls++;
    const out: Required<Pick<Collection, 'plugins' | 'samples' | 'errors'>> = { plugins: [], samples: [], errors: [] };
    const parts: Array<[string, () => Promise<void>]> = [
      ['cpu', () => this.cpu(request.nowSeconds, out)],
      ['memory', () => this.memory(request.nowSeconds, out)],
      ['load', () => this.load(request.nowSeconds, out)],
      ['uptime', () => this.uptime(request.nowSeconds, out)],
      ['disk space', () => this.diskSpace(request.nowSeconds, out)],
      ['disk I/O', () => this.diskIo(request.nowSeconds, out)],
      ['network', () => this.network(request.nowSeconds, out)],
      ['temperatures', () => this.temperatures(request.nowSeconds, out)],
    ];
    for (const [what, read] of parts) {
      try {
        await read();
      } catch (error) {
        this.counters.readErrors++;
        out.errors.push(`system ${what}: ${(error as Error).message}`);
      }
    }
    return out;
  }

  private read(path: string): Promise<string> {
    return readFile(join(this.options.root, path), 'utf8');
  }

  private async cpu(now: number, out: Collected): Promise<void> {
    const times = parseCpuTimes(await this.read('proc/stat'));
    if (!times) throw new Error('no aggregate cpu line in /proc/stat');
    const fields: Record<string, FieldInfo> = { total: percent('total busy', 'LINE2') };
    for (const state of CPU_STATES) fields[state] = percent(state, state === 'user' ? 'AREA' : 'STACK');
    out.plugins.push({
      plugin: 'system_cpu',
      title: 'CPU usage',
      vlabel: '%',
      category: 'system',
      order: [...CPU_STATES, 'total'],
      info: 'Share of all CPUs spent in each state since the previous poll; total is everything but idle and iowait.',
      graph: { args: '--base 1000 -r --lower-limit 0 --upper-limit 100', scale: 'no' },
      fields,
    });
    const previous = this.previousCpu;
    this.previousCpu = times;
    if (!previous) return;
    const delta = CPU_STATES.map((state) => Math.max(0, times[state] - previous[state]));
    const elapsed = delta.reduce((a, b) => a + b, 0);
    if (elapsed <= 0) return;
    const values: Record<string, number | null> = {};
    CPU_STATES.forEach((state, index) => {
      values[state] = round((100 * delta[index]) / elapsed);
    });
    values.total = round((100 * (elapsed - delta[3] - delta[4])) / elapsed);
    out.samples.push({ plugin: 'system_cpu', timestamp: now, values });
  }

  private async memory(now: number, out: Collected): Promise<void> {
    const mem = parseMeminfo(await this.read('proc/meminfo'));
    const get = (key: string) => mem.get(key) ?? null;
    const total = get('MemTotal');
    const free = get('MemFree');
    const buffers = get('Buffers') ?? 0;
    const cached = (get('Cached') ?? 0) + (get('SReclaimable') ?? 0);
    const used = total !== null && free !== null ? Math.max(0, total - free - buffers - cached) : null;
    out.plugins.push({
      plugin: 'system_memory',
      title: 'Memory usage',
      vlabel: 'bytes',
      base: 1024,
      category: 'system',
      order: ['used', 'buffers', 'cached', 'free', 'available', 'total'],
      fields: {
        used: bytes('used (not buffers/cache)', 'AREA'),
        buffers: bytes('buffers', 'STACK'),
        cached: bytes('cache (incl. reclaimable slab)', 'STACK'),
        free: bytes('free', 'STACK'),
        available: bytes('available'),
        total: bytes('total'),
      },
    });
    out.samples.push({
      plugin: 'system_memory',
      timestamp: now,
      values: { total, free, used, buffers, cached, available: get('MemAvailable') },
    });
    const swapTotal = get('SwapTotal');
    const swapFree = get('SwapFree');
    out.plugins.push({
      plugin: 'system_swap',
      title: 'Swap usage',
      vlabel: 'bytes',
      base: 1024,
      category: 'system',
      order: ['used', 'free', 'total'],
      fields: { used: bytes('used', 'AREA'), free: bytes('free', 'STACK'), total: bytes('total') },
    });
    out.samples.push({
      plugin: 'system_swap',
      timestamp: now,
      values: { total: swapTotal, free: swapFree, used: swapTotal !== null && swapFree !== null ? swapTotal - swapFree : null },
    });
  }

  private async load(now: number, out: Collected): Promise<void> {
    const load = parseLoadavg(await this.read('proc/loadavg'));
    if (!load) throw new Error('cannot read /proc/loadavg');
    out.plugins.push({
      plugin: 'system_load',
      title: 'Load average',
      vlabel: 'load',
      category: 'system',
      order: ['load1', 'load5', 'load15'],
      fields: { load1: gauge('1 minute'), load5: gauge('5 minutes'), load15: gauge('15 minutes') },
    });
    out.samples.push({ plugin: 'system_load', timestamp: now, values: { load1: load[0], load5: load[1], load15: load[2] } });
  }

  private async uptime(now: number, out: Collected): Promise<void> {
    const seconds = parseUptimeSeconds(await this.read('proc/uptime'));
    out.plugins.push({
      plugin: 'system_uptime',
      title: 'Uptime',
      vlabel: 'days',
      category: 'system',
      order: ['uptime'],
      fields: { uptime: { label: 'uptime', type: 'GAUGE', draw: 'AREA', min: 0 } },
    });
    out.samples.push({ plugin: 'system_uptime', timestamp: now, values: { uptime: seconds === null ? null : round(seconds / 86400) } });
  }

  private async diskSpace(now: number, out: Collected): Promise<void> {
    const mounts = parseMounts(await this.read('proc/mounts'));
    const percentFields: Record<string, FieldInfo> = {};
    const bytesFields: Record<string, FieldInfo> = {};
    const percentValues: Record<string, number | null> = {};
    const bytesValues: Record<string, number | null> = {};
    for (const mount of mounts) {
      const field = toFieldName(mount.mountPoint);
      try {
        const space = await this.statfs(join(this.options.root, mount.mountPoint));
        if (space.blocks === 0) continue;
        const usedBlocks = space.blocks - space.bfree;
        // Like df: used / (used + available to unprivileged users).
        percentValues[field] = round((100 * usedBlocks) / (usedBlocks + space.bavail || 1));
        bytesValues[field] = usedBlocks * space.bsize;
      } catch {
        continue; // unmounted between reading /proc/mounts and statfs, or no permission
      }
      percentFields[field] = {
        label: mount.mountPoint.slice(0, 256),
        type: 'GAUGE',
        min: 0,
        max: 100,
        info: `${mount.device} (${mount.fsType})`.slice(0, 4096),
      };
      bytesFields[field] = { label: percentFields[field].label, type: 'GAUGE', min: 0, info: percentFields[field].info };
    }
    if (!Object.keys(percentFields).length) return;
    out.plugins.push({
      plugin: 'system_df',
      title: 'Disk usage in percent',
      vlabel: '%',
      category: 'disk',
      graph: { args: '--upper-limit 100 -l 0', scale: 'no' },
      fields: percentFields,
    });
    out.samples.push({ plugin: 'system_df', timestamp: now, values: percentValues });
    out.plugins.push({
      plugin: 'system_df_bytes',
      title: 'Disk usage in bytes',
      vlabel: 'bytes',
      base: 1024,
      category: 'disk',
      fields: bytesFields,
    });
    out.samples.push({ plugin: 'system_df_bytes', timestamp: now, values: bytesValues });
  }

  private async diskIo(now: number, out: Collected): Promise<void> {
    const disks = parseDiskstats(await this.read('proc/diskstats'));
    const wholeDisks = await this.wholeDiskFilter();
    for (const disk of disks) {
      if (/^(loop|ram|zram|fd|sr)\d/.test(disk.device) || !wholeDisks(disk.device)) continue;
      const plugin = `system_diskio.${disk.device}`;
      out.plugins.push({
        plugin,
        title: `Disk I/O for /dev/${disk.device}`,
        vlabel: 'per second read (-) / write (+)',
        category: 'disk',
        order: ['rd_bytes', 'wr_bytes', 'rd_ios', 'wr_ios', 'busy'],
        fields: {
          rd_bytes: counter('bytes read', { graph: false }),
          wr_bytes: counter('bytes', { negative: 'rd_bytes' }),
          rd_ios: counter('reads', { graph: false }),
          wr_ios: counter('operations', { negative: 'rd_ios' }),
          busy: counter('busy %', { max: 100, info: 'Share of time the device had I/O in flight' }),
        },
      });
      out.samples.push({
        plugin,
        timestamp: now,
        values: {
          rd_bytes: disk.readSectors * 512,
          wr_bytes: disk.writeSectors * 512,
          rd_ios: disk.readIos,
          wr_ios: disk.writeIos,
          busy: disk.ioMillis / 10,
        },
      });
    }
  }

  /** Whole disks are listed in /sys/block; partitions are not. Without /sys/block, keep all. */
  private async wholeDiskFilter(): Promise<(device: string) => boolean> {
    let names: string[];
    try {
      names = await readdir(join(this.options.root, 'sys/block'));
    } catch {
      return () => true;
    }
    const disks = new Set(names);
    return (device) => disks.has(device);
  }

  private async network(now: number, out: Collected): Promise<void> {
    for (const nic of parseNetDev(await this.read('proc/net/dev'))) {
      if (nic.name === 'lo') continue;
      const plugin = `system_net.${nic.name}`;
      out.plugins.push({
        plugin,
        title: `Traffic on ${nic.name}`,
        vlabel: 'per second in (-) / out (+)',
        category: 'network',
        order: ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errors', 'tx_errors', 'rx_drop', 'tx_drop'],
        fields: {
          rx_bytes: counter('bytes received', { graph: false }),
          tx_bytes: counter('bytes', { negative: 'rx_bytes' }),
          rx_packets: counter('packets received', { graph: false }),
          tx_packets: counter('packets', { negative: 'rx_packets' }),
          rx_errors: counter('receive errors'),
          tx_errors: counter('transmit errors'),
          rx_drop: counter('receive drops'),
          tx_drop: counter('transmit drops'),
        },
      });
      out.samples.push({
        plugin,
        timestamp: now,
        values: {
          rx_bytes: nic.rxBytes,
          tx_bytes: nic.txBytes,
          rx_packets: nic.rxPackets,
          tx_packets: nic.txPackets,
          rx_errors: nic.rxErrors,
          tx_errors: nic.txErrors,
          rx_drop: nic.rxDrop,
          tx_drop: nic.txDrop,
        },
      });
    }
  }

  private async temperatures(now: number, out: Collected): Promise<void> {
    const sensors = await readTemperatures(this.options.root);
    if (!sensors.length) return;
    const fields: Record<string, FieldInfo> = {};
    const values: Record<string, number | null> = {};
    for (const sensor of sensors) {
      const field = toFieldName(sensor.id);
      fields[field] = { label: sensor.label.slice(0, 256), type: 'GAUGE' };
      values[field] = sensor.celsius;
    }
    out.plugins.push({ plugin: 'system_temperature', title: 'Temperatures', vlabel: 'degrees Celsius', category: 'sensors', fields });
    out.samples.push({ plugin: 'system_temperature', timestamp: now, values });
  }
}

type Collected = { plugins: PluginDescription[]; samples: Sample[]; errors: string[] };

const round = (value: number): number => Math.round(value * 1000) / 1000;
const gauge = (label: string): FieldInfo => ({ label, type: 'GAUGE', min: 0 });
const percent = (label: string, draw: string): FieldInfo => ({ label, type: 'GAUGE', draw, min: 0, max: 100 });
const bytes = (label: string, draw?: string): FieldInfo => ({ label, type: 'GAUGE', min: 0, ...(draw && { draw }) });
const counter = (label: string, extra: Partial<FieldInfo> = {}): FieldInfo => ({ label, type: 'DERIVE', min: 0, ...extra });
