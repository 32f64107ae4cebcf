import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TempDir, tempDir } from '../../../common/testing/temp-dir.js';
import { cpuPercent } from '../src/modules/libvirt/cpu.js';
import { LibvirtModule, parseLibvirtSettings } from '../src/modules/libvirt/module.js';
import type { Collection } from '../src/modules/types.js';
import { type ReplayVm, replayVirsh } from './peers/libvirt/replay.js';

/**
 * CPU percentages need CPU time that the test controls, which the test driver does not
 * offer (its counters follow the wall clock): virsh output of a qemu host is replayed
 * from the recorded shape in fixtures/libvirt, with an injected clock.
 */
const ALPHA = 'aaaaaaaa-0000-4000-8000-000000000001';
const BETA = 'bbbbbbbb-0000-4000-8000-000000000002';
const GAMMA = 'cccccccc-0000-4000-8000-000000000003';
let temp: TempDir;
let dir: string;
let vms: ReplayVm[];
let clockMs: number;
const calls: string[][] = [];
const makeModule = () =>
  new LibvirtModule({
    settings: parseLibvirtSettings({ uri: 'qemu:///system' }),
    hostId: 'hv-1',
    stateDir: dir,
    virsh: replayVirsh(() => vms, calls),
    clock: () => clockMs,
  });
const values = (c: Collection, plugin: string) => c.samples.find((s) => s.plugin === plugin)?.values ?? {};
const poll = (module: LibvirtModule) => module.collect({ nowSeconds: Math.floor(clockMs / 1000), wantInfo: true });

describe('libvirt CPU percentages between two polls', () => {
  before(async () => {
    temp = await tempDir('libvirt-cpu');
    dir = temp.dir;
  });
  after(async () => {
    await temp.remove();
  });

  const module = () => shared;
  let shared: LibvirtModule;

  it('computes % of the VM vCPUs and % of the host from two readings, with domstats only', async () => {
    shared = makeModule();
    vms = [
      { uuid: ALPHA, name: 'alpha', cpuNs: 100e9, vcpus: 2 },
      { uuid: BETA, name: 'beta', cpuNs: 5e9, vcpus: 1 },
    ];
    clockMs = 1_800_000_000_000;
    const first = await poll(module());
    assert.deepEqual(values(first, 'libvirt_cpu'), { alpha: null, beta: null });
    vms[0].cpuNs += 10e9; // 10 s of CPU in 10 s on 2 vCPUs: 50 %, on a 4-CPU host: 25 %
    vms[1].cpuNs += 2.5e9; // 2.5 s on 1 vCPU: 25 %, host 6.25 %
    clockMs += 10_000;
    const second = await poll(module());
    assert.deepEqual(second.errors, []);
    assert.deepEqual(values(second, 'libvirt_cpu'), { alpha: 50, beta: 25 });
    assert.deepEqual(values(second, 'libvirt_cpu_host'), { alpha: 25, beta: 6.25 });
    assert.deepEqual(values(second, 'libvirt_net_bytes'), { alpha_in: 1300, alpha_out: 2400, beta_in: 1300, beta_out: 2400 });
    assert.deepEqual(values(second, 'libvirt_disk_ops'), { alpha_read: 50, alpha_write: 70, beta_read: 50, beta_write: 70 });
    assert.deepEqual(values(second, 'libvirt_memory_used'), { alpha: 1572864 * 1024, beta: 1572864 * 1024 });
    assert.deepEqual(values(second, 'libvirt_host_cpus'), { allocated: 3, defined: 3, physical: 4 });
    assert.deepEqual(
      [...new Set(calls.map((c) => c[0]))].sort(),
      ['domstats', 'list', 'nodeinfo'],
      'no per-VM fallback calls on a qemu host',
    );
  });

  it('keeps the others intact when a VM disappears, another appears and one is renamed', async () => {
    vms = [
      { uuid: BETA, name: 'beta-renamed', cpuNs: vms[1].cpuNs + 5e9, vcpus: 1 },
      { uuid: GAMMA, name: 'alpha', cpuNs: 1e9, vcpus: 4 },
    ];
    clockMs += 10_000;
    const third = await poll(module());
    // The renamed VM keeps its CPU history (keyed by UUID) under its new name; the
    // newcomer has no previous reading yet.
    assert.deepEqual(values(third, 'libvirt_cpu'), { alpha: null, beta_renamed: 50 });
    assert.equal(third.plugins?.find((p) => p.plugin === 'libvirt_cpu')?.fields.alpha.info, `% of its vCPUs; running; uuid ${GAMMA}`);

    vms.push({ uuid: ALPHA, name: 'beta.renamed', cpuNs: 0, vcpus: 1 });
    vms[0].cpuNs += 1e9;
    vms[1].cpuNs += 4e9;
    clockMs += 10_000;
    const fourth = await poll(module());
    // "beta.renamed" maps to the field of "beta-renamed", which keeps it.
    const cpu = values(fourth, 'libvirt_cpu');
    assert.equal(cpu.beta_renamed, 10);
    assert.equal(cpu.alpha, 10);
    const suffixed = Object.keys(cpu).find((k) => k.startsWith('beta_renamed_'));
    assert.match(suffixed ?? '', /^beta_renamed_[0-9a-f]{6}$/);
    assert.equal(cpu[suffixed as string], null);
  });

  it('continues after a restart from the state file, and gives unknown when a counter goes back', async () => {
    vms[0].cpuNs += 2e9; // beta-renamed: 20 %
    vms[1].cpuNs -= 1e9; // "alpha" (gamma) was restarted: its counter went backwards
    clockMs += 10_000;
    const restarted = await poll(makeModule());
    const cpu = values(restarted, 'libvirt_cpu');
    assert.equal(cpu.beta_renamed, 20);
    assert.equal(cpu.alpha, null);
    assert.equal(Object.keys(cpu).filter((k) => k.startsWith('beta_renamed_')).length, 1, 'field names survive the restart');
  });

  it('gives a stopped VM no CPU, I/O or resident memory', async () => {
    vms[2].state = 5;
    clockMs += 10_000;
    const stopped = await poll(makeModule());
    const name = Object.keys(values(stopped, 'libvirt_cpu')).find((k) => k.startsWith('beta_renamed_')) as string;
    assert.equal(values(stopped, 'libvirt_cpu')[name], null);
    assert.equal(values(stopped, 'libvirt_memory')[name], 0);
    assert.equal(values(stopped, 'libvirt_memory_used')[name], null);
    assert.equal(values(stopped, 'libvirt_host_vms').shutoff, 1);
    assert.deepEqual(values(stopped, 'libvirt_host_cpus'), { allocated: 5, defined: 6, physical: 4 });
  });

  it('caps sampling jitter at 100 % and gives unknown when no time elapsed', () => {
    assert.deepEqual(cpuPercent({ cpuTimeNs: 0, atMs: 0 }, { cpuTimeNs: 2.1e9, atMs: 1000 }, 2, 8), { ofVcpus: 100, ofHost: 26.25 });
    assert.deepEqual(cpuPercent({ cpuTimeNs: 5, atMs: 1000 }, { cpuTimeNs: 6, atMs: 1000 }, 2, 8), { ofVcpus: null, ofHost: null });
  });
});
