/** One reading of a VM's CPU counter and when it was taken. */
export interface CpuReading {
  cpuTimeNs: number;
  atMs: number;
}

export interface CpuPercent {
  /** Share of the VM's own vCPUs it kept busy (0-100): the supervisor's utilisationCPU. */
  ofVcpus: number | null;
  /** Share of the whole host's physical CPUs it used (0-100): comparable between VMs and summable. */
  ofHost: number | null;
}

/**
 * CPU usage between two polls from libvirt's cumulative CPU time (nanoseconds).
 * Unknown on the first poll, when the counter went backwards (the VM restarted) or no
 * time elapsed. Slightly above 100 can happen from sampling jitter, so it is capped.
 */
export function cpuPercent(
  previous: CpuReading | undefined,
  current: CpuReading,
  vcpus: number | null,
  hostCpus: number | null,
): CpuPercent {
  if (!previous) return { ofVcpus: null, ofHost: null };
  const usedNs = current.cpuTimeNs - previous.cpuTimeNs;
  const elapsedNs = (current.atMs - previous.atMs) * 1e6;
  if (usedNs < 0 || elapsedNs <= 0) return { ofVcpus: null, ofHost: null };
  const share = (cpus: number | null) => (cpus && cpus > 0 ? round(Math.min(100, (100 * usedNs) / (elapsedNs * cpus))) : null);
  return { ofVcpus: share(vcpus), ofHost: share(hostCpus) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
