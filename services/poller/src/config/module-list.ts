/**
 * `[global] modules`: entries separated by `|`, as in the original
 * (`numeter.poller.muninModule:MuninModule`). Built-in names map to our modules; any
 * other entry is a custom module: a file path or a package name, optionally followed
 * by `:exportName`.
 */
export type ModuleSpec =
  | { kind: 'munin' }
  | { kind: 'system' }
  | { kind: 'libvirt' }
  | { kind: 'snmp' }
  | { kind: 'netlatency' }
  | { kind: 'carbon' }
  | { kind: 'statsd' }
  | { kind: 'custom'; specifier: string; exportName?: string; section: string };

const BUILT_IN: Record<string, 'munin' | 'system' | 'libvirt' | 'snmp' | 'netlatency' | 'carbon' | 'statsd'> = {
  munin: 'munin',
  muninmodule: 'munin',
  'numeter.poller.muninmodule:muninmodule': 'munin',
  'numeter.poller:muninmodule': 'munin',
  system: 'system',
  systemmodule: 'system',
  libvirt: 'libvirt',
  libvirtmodule: 'libvirt',
  snmp: 'snmp',
  snmpmodule: 'snmp',
  netlatency: 'netlatency',
  netlatencymodule: 'netlatency',
  carbon: 'carbon',
  carbonmodule: 'carbon',
  statsd: 'statsd',
  statsdmodule: 'statsd',
};

export function parseModuleList(value: string): { specs: ModuleSpec[]; errors: string[] } {
  const specs: ModuleSpec[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const entry of value.split('|').map((e) => e.trim())) {
    if (!entry) {
      errors.push('has an empty entry (entries are separated by "|")');
      continue;
    }
    if (seen.has(entry)) {
      errors.push(`lists ${JSON.stringify(entry)} twice`);
      continue;
    }
    seen.add(entry);
    const builtIn = BUILT_IN[entry.toLowerCase()];
    if (builtIn) {
      specs.push({ kind: builtIn });
      continue;
    }
    const match = /^(.+?)(?::([A-Za-z_$][\w$]*))?$/.exec(entry);
    const specifier = match?.[1] ?? entry;
    const exportName = match?.[2];
    if (/^numeter\.poller\./i.test(specifier)) {
      errors.push(
        `${JSON.stringify(entry)} is a module of the original Python poller that has no equivalent here (known: munin, system, libvirt, snmp, netlatency, carbon, statsd)`,
      );
      continue;
    }
    const base =
      specifier
        .split('/')
        .pop()
        ?.replace(/\.(m?js|ts)$/, '') ?? specifier;
    specs.push({ kind: 'custom', specifier, ...(exportName && { exportName }), section: (exportName ?? base).toLowerCase() });
  }
  return { specs, errors };
}
