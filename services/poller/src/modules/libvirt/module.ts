import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSafeName } from '../../../../../common/schemas/index.js';
import type { Collection, CollectRequest, ModuleContext, PollerModule } from '../types.js';
import { type CpuPercent, type CpuReading, cpuPercent } from './cpu.js';
import { readInventory } from './inventory.js';
import { publish } from './publish.js';
import { StableFieldNames } from './stable-names.js';
import { type VirshRunner, virshRunner } from './virsh.js';

export class LibvirtConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LibvirtConfigError';
  }
}

export interface LibvirtSettings {
  uri: string;
  timeoutMs: number;
  virsh: string;
  /** Publish each VM as its own host `<vmHostPrefix><uuid>` too. */
  vmHosts: boolean;
  vmHostPrefix: string;
}

/** `[LibvirtModule]`: uri, timeout (seconds), virsh (binary), vm_hosts (yes/no), vm_host_prefix. */
export function parseLibvirtSettings(section: Record<string, string>): LibvirtSettings {
  const problems: string[] = [];
  const timeout = Number(section.timeout ?? '10');
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 300)
    problems.push(`timeout ${JSON.stringify(section.timeout)} is not a number of seconds in (0, 300]`);
  const vmHosts = (section.vm_hosts ?? 'no').toLowerCase();
  if (!['yes', 'no', 'true', 'false', '1', '0', 'on', 'off'].includes(vmHosts))
    problems.push(`vm_hosts ${JSON.stringify(section.vm_hosts)} is not yes or no`);
  const prefix = section.vm_host_prefix ?? 'vm-';
  if (!isSafeName(`${prefix}00000000-0000-0000-0000-000000000000`))
    problems.push(`vm_host_prefix ${JSON.stringify(prefix)} does not make safe host IDs`);
  const uri = section.uri ?? 'qemu:///system';
  if (!/^[a-z][a-z0-9+]*:\/\//i.test(uri)) problems.push(`uri ${JSON.stringify(uri)} is not a libvirt URI (driver://...)`);
  if (problems.length) throw new LibvirtConfigError(`[LibvirtModule] ${problems.join('; ')}`);
  return {
    uri,
    timeoutMs: timeout * 1000,
    virsh: section.virsh ?? 'virsh',
    vmHosts: ['yes', 'true', '1', 'on'].includes(vmHosts),
    vmHostPrefix: prefix,
  };
}

interface SavedState {
  version: 1;
  vmFields: Record<string, { raw: string; field: string }>;
  deviceFields: Record<string, { raw: string; field: string }>;
  cpu: Record<string, CpuReading>;
}

export interface LibvirtModuleOptions {
  settings: LibvirtSettings;
  hostId: string;
  stateDir: string;
  /** Defaults to running the real virsh; tests may replay recorded output. */
  virsh?: VirshRunner;
  /** Milliseconds, for the CPU percentages (defaults to Date.now). */
  clock?: () => number;
}

/**
 * Virtual machines of a libvirt host (KVM in production), read with `virsh`. State (the
 * last CPU counter of each VM and the field names given to VM names) is keyed by UUID
 * and kept in `<stateDir>/libvirt-state.json`, so percentages and field names survive a
 * restart and a VM that comes, goes or is renamed never shifts the others.
 */
export class LibvirtModule implements PollerModule {
  readonly name = 'libvirt';
  private readonly virsh: VirshRunner;
  private readonly clock: () => number;
  private readonly stateFile: string;
  private state: { vmFields: StableFieldNames; deviceFields: StableFieldNames; cpu: Map<string, CpuReading> } | null = null;
  private readonly counters = { polls: 0, failures: 0, statErrors: 0, domains: 0 };

  constructor(private readonly options: LibvirtModuleOptions) {
    this.virsh =
      options.virsh ?? virshRunner({ binary: options.settings.virsh, uri: options.settings.uri, timeoutMs: options.settings.timeoutMs });
    this.clock = options.clock ?? Date.now;
    this.stateFile = join(options.stateDir, 'libvirt-state.json');
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  async collect(request: CollectRequest): Promise<Collection> {
    this.counters.polls++;
    const state = await this.loadState();
    let inventory: Awaited<ReturnType<typeof readInventory>>;
    try {
      inventory = await readInventory(this.virsh);
    } catch (error) {
      // libvirtd down or URI wrong: say so, and let the other modules publish.
      this.counters.failures++;
      return { samples: [], errors: [`libvirt ${this.options.settings.uri}: ${(error as Error).message}`] };
    }
    const atMs = this.clock();
    this.counters.domains = inventory.domains.length;
    this.counters.statErrors += inventory.errors.length;
    const vmFields = state.vmFields.assign(inventory.domains.map((d) => ({ key: d.uuid, raw: d.name })));
    const deviceFields = state.deviceFields.assign(
      inventory.domains.flatMap((d) =>
        (d.nets ?? []).map((n) => ({ key: `${d.uuid}\t${n.name}`, raw: `${vmFields.get(d.uuid)}_${n.name}` })),
      ),
    );
    const cpu = new Map<string, CpuPercent>();
    const readings = new Map<string, CpuReading>();
    for (const domain of inventory.domains) {
      if (domain.cpuTimeNs === null) continue;
      const reading = { cpuTimeNs: domain.cpuTimeNs, atMs };
      cpu.set(domain.uuid, cpuPercent(state.cpu.get(domain.uuid), reading, domain.vcpus, inventory.node.cpus));
      readings.set(domain.uuid, reading);
    }
    state.cpu = readings; // VMs gone or stopped are forgotten: a restart starts afresh
    const errors = inventory.errors.map((e) => `libvirt: ${e}`);
    await this.saveState().catch((error: Error) => errors.push(`libvirt state file ${this.stateFile}: ${error.message}`));
    const published = publish({
      inventory,
      nowSeconds: request.nowSeconds,
      vmFields,
      deviceFields,
      cpu,
      vmHosts: this.options.settings.vmHosts ? { prefix: this.options.settings.vmHostPrefix, hypervisorHostId: this.options.hostId } : null,
    });
    return { ...published, errors };
  }

  private async loadState(): Promise<NonNullable<LibvirtModule['state']>> {
    if (this.state) return this.state;
    let saved: Partial<SavedState> = {};
    try {
      const parsed = JSON.parse(await readFile(this.stateFile, 'utf8')) as unknown;
      if (parsed && typeof parsed === 'object' && (parsed as SavedState).version === 1) saved = parsed as SavedState;
    } catch {
      // Missing or damaged: start afresh (percentages come back after two polls).
    }
    const cpu = new Map<string, CpuReading>();
    for (const [uuid, reading] of Object.entries(saved.cpu ?? {})) {
      if (reading && Number.isFinite(reading.cpuTimeNs) && Number.isFinite(reading.atMs))
        cpu.set(uuid, { cpuTimeNs: reading.cpuTimeNs, atMs: reading.atMs });
    }
    this.state = { vmFields: new StableFieldNames(saved.vmFields), deviceFields: new StableFieldNames(saved.deviceFields), cpu };
    return this.state;
  }

  private async saveState(): Promise<void> {
    if (!this.state) return;
    const body: SavedState = {
      version: 1,
      vmFields: this.state.vmFields.toJSON(),
      deviceFields: this.state.deviceFields.toJSON(),
      cpu: Object.fromEntries(this.state.cpu),
    };
    await mkdir(this.options.stateDir, { recursive: true });
    const temporary = `${this.stateFile}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(body));
    await rename(temporary, this.stateFile);
  }
}

/** The factory the module registry calls with the `[LibvirtModule]` section. */
export function createLibvirtModule(context: ModuleContext): LibvirtModule {
  return new LibvirtModule({ settings: parseLibvirtSettings(context.config), hostId: context.hostId, stateDir: context.stateDir });
}
