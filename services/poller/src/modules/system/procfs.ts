/**
 * Parsers for the /proc files the system module reads. Pure functions over the text,
 * so tests feed them fixtures; each skips lines it cannot read.
 */
export const CPU_STATES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export type CpuState = (typeof CPU_STATES)[number];
export type CpuTimes = Record<CpuState, number>;

/** The aggregate `cpu` line of /proc/stat, in jiffies. Guest time is already inside user/nice. */
export function parseCpuTimes(stat: string): CpuTimes | null {
  const line = stat.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return null;
  const numbers = line.trim().split(/\s+/).slice(1).map(Number);
  const times = {} as CpuTimes;
  CPU_STATES.forEach((state, index) => {
    times[state] = Number.isFinite(numbers[index]) ? numbers[index] : 0;
  });
  return times;
}

/** /proc/meminfo in bytes, by key (`MemTotal`, `SwapFree`...). */
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (match) values.set(match[1], Number(match[2]) * (line.includes('kB') ? 1024 : 1));
  }
  return values;
}

export function parseLoadavg(text: string): [number, number, number] | null {
  const [one, five, fifteen] = text.trim().split(/\s+/).map(Number);
  return [one, five, fifteen].every(Number.isFinite) ? [one, five, fifteen] : null;
}

export function parseUptimeSeconds(text: string): number | null {
  const seconds = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(seconds) ? seconds : null;
}

export interface DiskCounters {
  device: string;
  readIos: number;
  readSectors: number;
  writeIos: number;
  writeSectors: number;
  ioMillis: number;
}

/** /proc/diskstats: major minor name rd_ios rd_merges rd_sectors rd_ms wr_ios wr_merges wr_sectors wr_ms in_flight io_ms ... */
export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    const n = f.slice(3).map(Number);
    if (n.slice(0, 10).some((x) => !Number.isFinite(x))) continue;
    disks.push({ device: f[2], readIos: n[0], readSectors: n[2], writeIos: n[4], writeSectors: n[6], ioMillis: n[9] });
  }
  return disks;
}

export interface InterfaceCounters {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDrop: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDrop: number;
}

/** /proc/net/dev: two header lines, then `name: rx(8 columns) tx(8 columns)`. */
export function parseNetDev(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const n = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (n.length < 16 || n.some((x) => !Number.isFinite(x))) continue;
    out.push({
      name: line.slice(0, colon).trim(),
      rxBytes: n[0],
      rxPackets: n[1],
      rxErrors: n[2],
      rxDrop: n[3],
      txBytes: n[8],
      txPackets: n[9],
      txErrors: n[10],
      txDrop: n[11],
    });
  }
  return out;
}

export interface Mount {
  device: string;
  mountPoint: string;
  fsType: string;
}

/** Kernel and memory file systems: no disk behind them. */
const VIRTUAL_FS = new Set(
  'proc sysfs devtmpfs devpts tmpfs cgroup cgroup2 securityfs pstore bpf debugfs tracefs mqueue hugetlbfs fusectl configfs autofs binfmt_misc rpc_pipefs nsfs efivarfs ramfs squashfs selinuxfs fuse.lxcfs fuse.gvfsd-fuse nfsd'.split(
    ' ',
  ),
);

/** /proc/mounts, without virtual file systems, first mount of each mount point. Octal escapes (`\040`) decoded. */
export function parseMounts(text: string): Mount[] {
  const seen = new Set<string>();
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const [device, rawPoint, fsType] = line.split(' ');
    if (!fsType || VIRTUAL_FS.has(fsType)) continue;
    const mountPoint = rawPoint.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
    if (seen.has(mountPoint)) continue;
    seen.add(mountPoint);
    mounts.push({ device, mountPoint, fsType });
  }
  return mounts;
}
