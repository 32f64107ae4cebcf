import { parseColonList, parseDomstats, parseKib, parseStatLines, parseTableColumn, parseUuidNameList, type VirshRunner } from './virsh.js';

/** libvirt's virDomainState numbers, as `domstats` reports `state.state`. */
export const DOMAIN_STATES = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'] as const;
export type DomainState = (typeof DOMAIN_STATES)[number];

/** A domain is "active" (holds CPUs and memory) unless shut off or crashed. */
export function isActive(state: DomainState): boolean {
  return state !== 'shutoff' && state !== 'crashed' && state !== 'nostate';
}

export interface DeviceCounters {
  name: string;
  /** Disks: bytes/requests read and written. Interfaces: rx = in, tx = out. */
  readBytes: number | null;
  writeBytes: number | null;
  readOps: number | null;
  writeOps: number | null;
}

export interface DomainSnapshot {
  uuid: string;
  name: string;
  state: DomainState;
  vcpus: number | null;
  /** Total CPU time consumed, in nanoseconds (a counter). */
  cpuTimeNs: number | null;
  memoryAssignedBytes: number | null;
  memoryMaxBytes: number | null;
  /** Host memory the VM's process holds (balloon RSS). */
  memoryUsedBytes: number | null;
  disks: DeviceCounters[] | null;
  nets: DeviceCounters[] | null;
}

export interface NodeSnapshot {
  cpus: number | null;
  memoryBytes: number | null;
}

export interface Inventory {
  node: NodeSnapshot;
  domains: DomainSnapshot[];
  /** Statistics that could not be read (the rest is still published). */
  errors: string[];
}

const PARALLEL_DOMAINS = 8;

const DOMINFO_STATES: Record<string, DomainState> = {
  'no state': 'nostate',
  running: 'running',
  idle: 'blocked',
  blocked: 'blocked',
  paused: 'paused',
  'in shutdown': 'shutdown',
  'shut off': 'shutoff',
  crashed: 'crashed',
  pmsuspended: 'pmsuspended',
};

/**
 * Reads every domain (running and stopped) with as few virsh calls as the driver
 * allows: `list --all --uuid --name`, one `domstats --raw`, and `nodeinfo`. Drivers
 * whose domstats lack a statistic (the test driver reports only the state) are asked
 * per domain with the older commands (dominfo, dommemstat, domblkstat, domifstat);
 * a statistic nothing reports stays unknown.
 */
export async function readInventory(virsh: VirshRunner): Promise<Inventory> {
  const errors: string[] = [];
  const [listing, statsText, nodeText] = await Promise.all([
    virsh(['list', '--all', '--uuid', '--name']),
    virsh(['domstats', '--raw']).catch((error: Error) => {
      errors.push(`domstats: ${error.message}`);
      return '';
    }),
    virsh(['nodeinfo']).catch((error: Error) => {
      errors.push(`nodeinfo: ${error.message}`);
      return '';
    }),
  ]);
  const stats = parseDomstats(statsText);
  const node = parseColonList(nodeText);
  const entries = parseUuidNameList(listing);
  const domains: DomainSnapshot[] = [];
  // Bounded: on drivers without full domstats each VM costs a few virsh processes.
  for (let start = 0; start < entries.length; start += PARALLEL_DOMAINS) {
    const slice = entries.slice(start, start + PARALLEL_DOMAINS);
    domains.push(...(await Promise.all(slice.map((entry) => readDomain(virsh, entry, stats.get(entry.name) ?? new Map(), errors)))));
  }
  return { node: { cpus: toNumber(node.get('CPU(s)')), memoryBytes: parseKib(node.get('Memory size')) }, domains, errors };
}

async function readDomain(
  virsh: VirshRunner,
  entry: { uuid: string; name: string },
  stats: Map<string, string>,
  errors: string[],
): Promise<DomainSnapshot> {
  const num = (key: string) => toNumber(stats.get(key));
  const kib = (key: string) => {
    const value = num(key);
    return value === null ? null : value * 1024;
  };
  const domain: DomainSnapshot = {
    uuid: entry.uuid,
    name: entry.name,
    state: DOMAIN_STATES[num('state.state') ?? -1] ?? 'nostate',
    vcpus: num('vcpu.current'),
    cpuTimeNs: num('cpu.time'),
    memoryAssignedBytes: kib('balloon.current'),
    memoryMaxBytes: kib('balloon.maximum'),
    memoryUsedBytes: kib('balloon.rss'),
    disks: stats.has('block.count')
      ? devicesFromStats(stats, 'block', { readBytes: 'rd.bytes', writeBytes: 'wr.bytes', readOps: 'rd.reqs', writeOps: 'wr.reqs' })
      : null,
    nets: stats.has('net.count')
      ? devicesFromStats(stats, 'net', { readBytes: 'rx.bytes', writeBytes: 'tx.bytes', readOps: 'rx.pkts', writeOps: 'tx.pkts' })
      : null,
  };
  const problem = (what: string) => (error: Error) => {
    errors.push(`${what} of VM ${JSON.stringify(entry.name.slice(0, 80))}: ${error.message}`);
  };
  const id = ['--domain', entry.uuid];
  // A stopped VM's CPU time does not matter; its vCPUs and memory still do (defined totals).
  const cpuMissing = domain.cpuTimeNs === null && isActive(domain.state);
  if (
    !stats.has('state.state') ||
    domain.vcpus === null ||
    cpuMissing ||
    (domain.memoryAssignedBytes === null && domain.memoryMaxBytes === null)
  ) {
    await virsh(['dominfo', ...id]).then((text) => fillFromDominfo(domain, parseColonList(text)), problem('dominfo'));
  }
  if (!isActive(domain.state)) {
    // A stopped VM has no CPU time, I/O or resident memory to report.
    domain.cpuTimeNs = null;
    domain.memoryUsedBytes = null;
    return domain;
  }
  const fallbacks: Promise<void>[] = [];
  if (domain.memoryUsedBytes === null) {
    fallbacks.push(
      virsh(['dommemstat', ...id]).then((text) => {
        const rss = parseStatLines(text).get('rss');
        domain.memoryUsedBytes = rss === undefined ? null : rss * 1024;
      }, problem('dommemstat')),
    );
  }
  if (domain.disks === null) {
    fallbacks.push(
      devicesFromCommands(virsh, id, ['domblklist'], ['domblkstat', '--device'], {
        readBytes: 'rd_bytes',
        writeBytes: 'wr_bytes',
        readOps: 'rd_req',
        writeOps: 'wr_req',
      }).then((disks) => {
        domain.disks = disks;
      }, problem('disk statistics')),
    );
  }
  if (domain.nets === null) {
    fallbacks.push(
      devicesFromCommands(virsh, id, ['domiflist'], ['domifstat', '--interface'], {
        readBytes: 'rx_bytes',
        writeBytes: 'tx_bytes',
        readOps: 'rx_packets',
        writeOps: 'tx_packets',
      }).then((nets) => {
        domain.nets = nets;
      }, problem('network statistics')),
    );
  }
  await Promise.all(fallbacks);
  return domain;
}

function fillFromDominfo(domain: DomainSnapshot, info: Map<string, string>): void {
  const state = DOMINFO_STATES[info.get('State') ?? ''];
  if (state && domain.state === 'nostate') domain.state = state;
  domain.vcpus ??= toNumber(info.get('CPU(s)'));
  const cpuSeconds = /^([\d.]+)s$/.exec(info.get('CPU time') ?? '');
  if (domain.cpuTimeNs === null && cpuSeconds) domain.cpuTimeNs = Math.round(Number(cpuSeconds[1]) * 1e9);
  domain.memoryAssignedBytes ??= parseKib(info.get('Used memory'));
  domain.memoryMaxBytes ??= parseKib(info.get('Max memory'));
}

type CounterKeys = Record<'readBytes' | 'writeBytes' | 'readOps' | 'writeOps', string>;

function devicesFromStats(stats: Map<string, string>, prefix: string, keys: CounterKeys): DeviceCounters[] {
  const count = toNumber(stats.get(`${prefix}.count`)) ?? 0;
  const devices: DeviceCounters[] = [];
  for (let index = 0; index < Math.min(count, 256); index++) {
    const name = stats.get(`${prefix}.${index}.name`);
    if (!name) continue;
    const get = (key: string) => toNumber(stats.get(`${prefix}.${index}.${key}`));
    devices.push({
      name,
      readBytes: get(keys.readBytes),
      writeBytes: get(keys.writeBytes),
      readOps: get(keys.readOps),
      writeOps: get(keys.writeOps),
    });
  }
  return devices;
}

async function devicesFromCommands(
  virsh: VirshRunner,
  id: string[],
  listCommand: string[],
  statCommand: [string, string],
  keys: CounterKeys,
): Promise<DeviceCounters[]> {
  const names = parseTableColumn(await virsh([...listCommand, ...id]), 0).slice(0, 256);
  return Promise.all(
    names.map(async (name) => {
      const values = parseStatLines(await virsh([statCommand[0], ...id, statCommand[1], name]));
      const get = (key: string) => values.get(key) ?? null;
      return {
        name,
        readBytes: get(keys.readBytes),
        writeBytes: get(keys.writeBytes),
        readOps: get(keys.readOps),
        writeOps: get(keys.writeOps),
      };
    }),
  );
}

function toNumber(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
