import type { FieldInfo } from '../../../../../common/schemas/index.js';
import type { Collection, HostDescription, PluginDescription, Sample } from '../types.js';
import type { CpuPercent } from './cpu.js';
import { type DeviceCounters, DOMAIN_STATES, type DomainSnapshot, type Inventory, isActive } from './inventory.js';

export interface PublishInput {
  inventory: Inventory;
  nowSeconds: number;
  /** Safe field name of each VM, by UUID. */
  vmFields: Map<string, string>;
  /** Safe field name of each VM network device, by `uuid\tdevice`. */
  deviceFields: Map<string, string>;
  cpu: Map<string, CpuPercent>;
  /** When set, each VM is also published as its own host `<prefix><uuid>`. */
  vmHosts: { prefix: string; hypervisorHostId: string } | null;
}

const CATEGORY = 'virtualization';
type Values = Record<string, number | null>;
/** A 0-100 % graph, as munin's own percentage plugins draw it. */
const PERCENT_GRAPH = { args: '--base 1000 -r --lower-limit 0 --upper-limit 100', scale: 'no' };

/** Turns one inventory into plugin descriptions and samples (pure, so tests check it directly). */
export function publish(input: PublishInput): Required<Pick<Collection, 'plugins' | 'samples' | 'hosts'>> {
  const out = { plugins: [] as PluginDescription[], samples: [] as Sample[], hosts: [] as HostDescription[] };
  const add = (description: PluginDescription, values: Values) => {
    out.plugins.push(description);
    out.samples.push({
      plugin: description.plugin,
      ...(description.hostId && { hostId: description.hostId }),
      timestamp: input.nowSeconds,
      values,
    });
  };
  const domains = [...input.inventory.domains].sort((a, b) => a.name.localeCompare(b.name));
  perVmPlugins(input, domains, add);
  hostPlugins(input.inventory, add);
  if (input.vmHosts) {
    for (const domain of domains) vmAsHost(input, domain, input.vmHosts, add, out.hosts);
  }
  return out;
}

type Add = (description: PluginDescription, values: Values) => void;

function perVmPlugins(input: PublishInput, domains: DomainSnapshot[], add: Add): void {
  const gauge = (pick: (d: DomainSnapshot) => number | null, field: (d: DomainSnapshot, first: boolean) => FieldInfo) => {
    const fields: Record<string, FieldInfo> = {};
    const values: Values = {};
    domains.forEach((domain, index) => {
      const name = input.vmFields.get(domain.uuid) as string;
      fields[name] = field(domain, index === 0);
      values[name] = pick(domain);
    });
    return { fields, values, order: Object.keys(fields) };
  };
  const label = (d: DomainSnapshot) => d.name.slice(0, 256);
  const stacked =
    (unit: string) =>
    (d: DomainSnapshot, first: boolean): FieldInfo => ({
      label: label(d),
      type: 'GAUGE',
      draw: first ? 'AREA' : 'STACK',
      min: 0,
      info: `${unit}; ${d.state}; uuid ${d.uuid}`,
    });
  const line =
    (unit: string, max?: number) =>
    (d: DomainSnapshot): FieldInfo => ({
      label: label(d),
      type: 'GAUGE',
      min: 0,
      ...(max !== undefined && { max }),
      info: `${unit}; ${d.state}; uuid ${d.uuid}`,
    });

  /** One plugin with a GAUGE field per VM (description keys in the order the other plugins use). */
  const addGauge = (
    head: Pick<PluginDescription, 'plugin' | 'title' | 'vlabel' | 'base'>,
    tail: Pick<PluginDescription, 'info' | 'graph'>,
    pick: (d: DomainSnapshot) => number | null,
    field: (d: DomainSnapshot, first: boolean) => FieldInfo,
  ) => {
    const g = gauge(pick, field);
    add({ ...head, category: CATEGORY, order: g.order, ...tail, fields: g.fields }, g.values);
  };

  addGauge(
    { plugin: 'libvirt_cpu', title: 'VM CPU usage (% of its vCPUs)', vlabel: '%' },
    {
      info: 'CPU time each VM used since the previous poll, as a share of the vCPUs it has (100 = all its vCPUs busy).',
      graph: PERCENT_GRAPH,
    },
    (d) => input.cpu.get(d.uuid)?.ofVcpus ?? null,
    line('% of its vCPUs', 100),
  );
  addGauge(
    { plugin: 'libvirt_cpu_host', title: 'VM CPU usage (% of the host)', vlabel: '%' },
    {
      info: "CPU time each VM used since the previous poll, as a share of all the host's physical CPUs (stacked: the VMs' total load on the host).",
      graph: PERCENT_GRAPH,
    },
    (d) => input.cpu.get(d.uuid)?.ofHost ?? null,
    stacked('% of the host CPUs'),
  );
  addGauge({ plugin: 'libvirt_vcpus', title: 'VM vCPUs', vlabel: 'vCPUs' }, {}, (d) => d.vcpus, line('vCPUs'));
  addGauge(
    { plugin: 'libvirt_memory', title: 'VM memory assigned', vlabel: 'bytes', base: 1024 },
    { info: 'Memory each running VM currently has (its balloon size); 0 when stopped.' },
    (d) => (isActive(d.state) ? d.memoryAssignedBytes : 0),
    stacked('bytes assigned (balloon)'),
  );
  addGauge(
    { plugin: 'libvirt_memory_used', title: 'VM memory used', vlabel: 'bytes', base: 1024 },
    { info: "Host memory each VM's process really holds (resident set)." },
    (d) => d.memoryUsedBytes,
    stacked('bytes resident on the host'),
  );

  const pair = (
    plugin: string,
    title: string,
    vlabel: string,
    devices: (d: DomainSnapshot) => DeviceCounters[] | null,
    kind: 'Bytes' | 'Ops',
    names: [string, string],
  ) => {
    const fields: Record<string, FieldInfo> = {};
    const values: Values = {};
    for (const domain of domains) {
      const base = input.vmFields.get(domain.uuid) as string;
      const [down, up] = names.map((suffix) => `${base}_${suffix}`);
      const list = devices(domain);
      fields[down] = { label: domain.name.slice(0, 256), type: 'DERIVE', min: 0, graph: false, info: `uuid ${domain.uuid}` };
      fields[up] = { label: domain.name.slice(0, 256), type: 'DERIVE', min: 0, negative: down, info: `uuid ${domain.uuid}` };
      values[down] = sum(list, `read${kind}`);
      values[up] = sum(list, `write${kind}`);
    }
    add(
      {
        plugin,
        title,
        vlabel,
        category: CATEGORY,
        order: Object.keys(fields),
        info: `Summed over all the VM's devices; ${names[0]} below the axis, ${names[1]} above.`,
        fields,
      },
      values,
    );
  };
  pair('libvirt_disk_bytes', 'VM disk throughput', 'bytes read (-) / written (+) per ${graph_period}', (d) => d.disks, 'Bytes', [
    'read',
    'write',
  ]);
  pair('libvirt_disk_ops', 'VM disk operations', 'reads (-) / writes (+) per ${graph_period}', (d) => d.disks, 'Ops', ['read', 'write']);
  pair('libvirt_net_bytes', 'VM network traffic', 'bytes in (-) / out (+) per ${graph_period}', (d) => d.nets, 'Bytes', ['in', 'out']);
  pair('libvirt_net_packets', 'VM network packets', 'packets in (-) / out (+) per ${graph_period}', (d) => d.nets, 'Ops', ['in', 'out']);
  netPerDevice(input, domains, add);
}

function netPerDevice(input: PublishInput, domains: DomainSnapshot[], add: Add): void {
  const fields: Record<string, FieldInfo> = {};
  const values: Values = {};
  for (const domain of domains) {
    for (const device of domain.nets ?? []) {
      const base = input.deviceFields.get(`${domain.uuid}\t${device.name}`);
      if (!base) continue;
      const label = `${domain.name} ${device.name}`.slice(0, 256);
      fields[`${base}_in`] = { label, type: 'DERIVE', min: 0, graph: false, info: `uuid ${domain.uuid}` };
      fields[`${base}_out`] = { label, type: 'DERIVE', min: 0, negative: `${base}_in`, info: `uuid ${domain.uuid}` };
      values[`${base}_in`] = device.readBytes;
      values[`${base}_out`] = device.writeBytes;
    }
  }
  add(
    {
      plugin: 'libvirt_net_devices',
      title: 'VM network traffic per device',
      vlabel: 'bytes in (-) / out (+) per ${graph_period}',
      category: CATEGORY,
      order: Object.keys(fields),
      fields,
    },
    values,
  );
}

function hostPlugins(inventory: Inventory, add: Add): void {
  const counts: Values = Object.fromEntries(DOMAIN_STATES.map((state) => [state, 0]));
  for (const domain of inventory.domains) counts[domain.state] = (counts[domain.state] ?? 0) + 1;
  counts.total = inventory.domains.length;
  const stateFields: Record<string, FieldInfo> = Object.fromEntries(
    DOMAIN_STATES.map((state, index) => [
      state,
      { label: state, type: 'GAUGE', min: 0, draw: index === 0 ? 'AREA' : 'STACK' } satisfies FieldInfo,
    ]),
  );
  stateFields.total = { label: 'total', type: 'GAUGE', min: 0, draw: 'LINE1' };
  add(
    {
      plugin: 'libvirt_host_vms',
      title: 'VMs by state',
      vlabel: 'VMs',
      category: CATEGORY,
      order: [...DOMAIN_STATES, 'total'],
      fields: stateFields,
    },
    counts,
  );

  const active = inventory.domains.filter((d) => isActive(d.state));
  const total = (list: DomainSnapshot[], pick: (d: DomainSnapshot) => number | null) => list.reduce((acc, d) => acc + (pick(d) ?? 0), 0);
  const allocation = (
    head: Pick<PluginDescription, 'plugin' | 'title' | 'vlabel' | 'base'>,
    labels: { allocated: string; defined: string; physical: string },
    values: { allocated: number; defined: number; physical: number | null },
  ) =>
    add(
      {
        ...head,
        category: CATEGORY,
        order: ['allocated', 'defined', 'physical'],
        fields: {
          allocated: { label: labels.allocated, type: 'GAUGE', min: 0, draw: 'AREA' },
          defined: { label: labels.defined, type: 'GAUGE', min: 0 },
          physical: { label: labels.physical, type: 'GAUGE', min: 0 },
        },
      },
      values,
    );
  allocation(
    { plugin: 'libvirt_host_cpus', title: 'vCPUs allocated vs physical CPUs', vlabel: 'CPUs' },
    { allocated: 'vCPUs of running VMs', defined: 'vCPUs of all VMs', physical: 'physical CPUs' },
    { allocated: total(active, (d) => d.vcpus), defined: total(inventory.domains, (d) => d.vcpus), physical: inventory.node.cpus },
  );
  allocation(
    { plugin: 'libvirt_host_memory', title: 'VM memory allocated vs physical', vlabel: 'bytes', base: 1024 },
    { allocated: 'assigned to running VMs', defined: 'maximum of all VMs', physical: 'physical memory' },
    {
      allocated: total(active, (d) => d.memoryAssignedBytes),
      defined: total(inventory.domains, (d) => d.memoryMaxBytes ?? d.memoryAssignedBytes),
      physical: inventory.node.memoryBytes,
    },
  );
}

function vmAsHost(
  input: PublishInput,
  domain: DomainSnapshot,
  vmHosts: { prefix: string; hypervisorHostId: string },
  add: Add,
  hosts: HostDescription[],
): void {
  const hostId = `${vmHosts.prefix}${domain.uuid}`;
  hosts.push({ hostId, name: domain.name.slice(0, 256), description: `libvirt VM ${domain.uuid} on host ${vmHosts.hypervisorHostId}` });
  const cpu = input.cpu.get(domain.uuid);
  const pct = (label: string): FieldInfo => ({ label, type: 'GAUGE', min: 0, max: 100 });
  add(
    {
      plugin: 'vm_cpu',
      hostId,
      title: 'CPU usage',
      vlabel: '%',
      category: CATEGORY,
      order: ['vcpus_percent', 'host_percent'],
      graph: PERCENT_GRAPH,
      fields: { vcpus_percent: pct('% of its vCPUs'), host_percent: pct('% of the host CPUs') },
    },
    { vcpus_percent: cpu?.ofVcpus ?? null, host_percent: cpu?.ofHost ?? null },
  );
  const bytes = (label: string, draw?: 'AREA'): FieldInfo => ({ label, type: 'GAUGE', min: 0, ...(draw && { draw }) });
  add(
    {
      plugin: 'vm_memory',
      hostId,
      title: 'Memory',
      vlabel: 'bytes',
      base: 1024,
      category: CATEGORY,
      order: ['assigned', 'used', 'maximum'],
      fields: { assigned: bytes('assigned', 'AREA'), used: bytes('resident on the host'), maximum: bytes('maximum') },
    },
    { assigned: isActive(domain.state) ? domain.memoryAssignedBytes : 0, used: domain.memoryUsedBytes, maximum: domain.memoryMaxBytes },
  );
  const pair = (
    plugin: string,
    title: string,
    vlabel: string,
    list: DeviceCounters[] | null,
    kind: 'Bytes' | 'Ops',
    [down, up]: [string, string],
  ) =>
    add(
      {
        plugin,
        hostId,
        title,
        vlabel,
        category: CATEGORY,
        order: [down, up],
        fields: {
          [down]: { label: down, type: 'DERIVE', min: 0, graph: false },
          [up]: { label: up, type: 'DERIVE', min: 0, negative: down },
        },
      },
      { [down]: sum(list, `read${kind}`), [up]: sum(list, `write${kind}`) },
    );
  pair('vm_disk_bytes', 'Disk throughput', 'bytes read (-) / written (+) per ${graph_period}', domain.disks, 'Bytes', ['read', 'write']);
  pair('vm_disk_ops', 'Disk operations', 'reads (-) / writes (+) per ${graph_period}', domain.disks, 'Ops', ['read', 'write']);
  pair('vm_net_bytes', 'Network traffic', 'bytes in (-) / out (+) per ${graph_period}', domain.nets, 'Bytes', ['in', 'out']);
  pair('vm_net_packets', 'Network packets', 'packets in (-) / out (+) per ${graph_period}', domain.nets, 'Ops', ['in', 'out']);
}

/** Sum of one counter over devices; unknown when there is no device or any is unknown. */
function sum(devices: DeviceCounters[] | null, key: 'readBytes' | 'writeBytes' | 'readOps' | 'writeOps'): number | null {
  if (!devices || devices.length === 0) return null;
  let total = 0;
  for (const device of devices) {
    const value = device[key];
    if (value === null) return null;
    total += value;
  }
  return total;
}
