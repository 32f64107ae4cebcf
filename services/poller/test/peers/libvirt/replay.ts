import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VirshRunner } from '../../../src/modules/libvirt/virsh.js';

/** A VM as qemu:///system would report it; tests change these between polls. */
export interface ReplayVm {
  uuid: string;
  name: string;
  /** virDomainState number: 1 running, 5 shut off. */
  state?: number;
  cpuNs: number;
  vcpus: number;
}

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'libvirt');
const DOMSTATS = readFileSync(join(FIXTURES, 'qemu-domstats.txt'), 'utf8');
const NODEINFO = readFileSync(join(FIXTURES, 'qemu-nodeinfo.txt'), 'utf8');

/**
 * Replays the output of virsh against a qemu host (recorded shape, values from `vms()`),
 * for what the test driver cannot do: CPU time that the test controls. Any command a
 * qemu host answers from domstats alone is an error here, so a fallback call would show.
 */
export function replayVirsh(vms: () => ReplayVm[], calls: string[][] = []): VirshRunner {
  return async (args) => {
    calls.push(args);
    const list = vms();
    if (args[0] === 'list') return list.map((vm) => `${vm.uuid} ${vm.name}\n`).join('');
    if (args[0] === 'nodeinfo') return NODEINFO;
    if (args[0] === 'domstats')
      return list
        .map((vm) =>
          DOMSTATS.replace('{NAME}', vm.name)
            .replace('{STATE}', String(vm.state ?? 1))
            .replace('{CPU_NS}', String(vm.cpuNs))
            .replaceAll('{VCPUS}', String(vm.vcpus)),
        )
        .join('');
    throw new Error(`unexpected virsh ${args.join(' ')}`);
  };
}
