import { isSafeName, toFieldName } from '../../../../../common/schemas/index.js';

export class SnmpConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnmpConfigError';
  }
}

/** An OID (`{n}` stands for the phase or outlet number) and the factor to the unit. */
export interface OidSpec {
  oid: string;
  scale: number;
}

/** The metrics the module knows; `extra` is the generic "OID list" (one field each). */
export interface PduOids {
  watts?: OidSpec;
  phaseAmps?: OidSpec;
  outletWatts?: OidSpec;
  outletAmps?: OidSpec;
  extra: Array<{ field: string; label: string } & OidSpec>;
}

/**
 * Presets per PDU model (APC PowerNet-MIB). `apc-rpdu` (AP78xx/AP79xx): device watts,
 * per-phase load and per-outlet load in tenths of amps. `apc-rpdu2` (AP8xxx): device
 * power in hundredths of kW, phase current in tenths of amps, per-outlet watts.
 */
export const PRESETS: Record<string, Omit<PduOids, 'extra'>> = {
  'apc-rpdu': {
    watts: { oid: '1.3.6.1.4.1.318.1.1.12.1.16.0', scale: 1 },
    phaseAmps: { oid: '1.3.6.1.4.1.318.1.1.12.2.3.1.1.2.{n}', scale: 0.1 },
    outletAmps: { oid: '1.3.6.1.4.1.318.1.1.12.3.5.1.1.7.{n}', scale: 0.1 },
  },
  'apc-rpdu2': {
    watts: { oid: '1.3.6.1.4.1.318.1.1.26.4.3.1.5.1', scale: 10 },
    phaseAmps: { oid: '1.3.6.1.4.1.318.1.1.26.6.3.1.5.{n}', scale: 0.1 },
    outletWatts: { oid: '1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.{n}', scale: 1 },
  },
  generic: {},
};

export interface PduConfig {
  /** From the section name `[PDU:<name>]`. */
  name: string;
  /** Host ID the PDU's own totals are published under. */
  hostId: string;
  host: string;
  port: number;
  version: '1' | '2c' | '3';
  community: string;
  v3?: {
    user: string;
    level: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
    authProtocol: string;
    authKey?: string;
    privProtocol: string;
    privKey?: string;
  };
  model: string;
  oids: PduOids;
  phases: number;
  /** For outlets metered in amps only: watts = amps × voltage. */
  voltage: number;
  /** Outlet number → host ID of the machine plugged into it. */
  outlets: Map<number, string>;
}

export interface SnmpSettings {
  timeoutMs: number;
  retries: number;
  pdus: PduConfig[];
}

const KNOWN_OIDS: Record<string, keyof Omit<PduOids, 'extra'>> = {
  watts: 'watts',
  phase_amps: 'phaseAmps',
  outlet_watts: 'outletWatts',
  outlet_amps: 'outletAmps',
};

/**
 * `[SnmpModule]` (timeout, retries) and every `[PDU:<name>]` section of the INI file.
 * All problems are collected and reported together.
 */
export function parseSnmpSettings(module: Record<string, string>, ini: Record<string, Record<string, string>>): SnmpSettings {
  const problems: string[] = [];
  const timeout = Number(module.timeout ?? '2');
  if (!(timeout > 0 && timeout <= 60))
    problems.push(`[SnmpModule] timeout ${JSON.stringify(module.timeout)} is not a number of seconds in (0, 60]`);
  const retries = Number(module.retries ?? '1');
  if (!(Number.isInteger(retries) && retries >= 0 && retries <= 5))
    problems.push(`[SnmpModule] retries ${JSON.stringify(module.retries)} is not a whole number in 0..5`);
  const pdus: PduConfig[] = [];
  for (const [section, values] of Object.entries(ini)) {
    const match = /^pdu:(.+)$/i.exec(section);
    if (match) {
      const pdu = parsePdu(match[1].trim(), values, (message) => problems.push(`[PDU:${match[1]}] ${message}`));
      if (pdu) pdus.push(pdu);
    }
  }
  if (pdus.length === 0) problems.push('no [PDU:<name>] section: nothing to poll');
  const ids = new Set<string>();
  for (const pdu of pdus) {
    if (ids.has(pdu.hostId)) problems.push(`[PDU:${pdu.name}] host_id ${JSON.stringify(pdu.hostId)} is used by another PDU`);
    ids.add(pdu.hostId);
  }
  if (problems.length) throw new SnmpConfigError(`SNMP module configuration: ${problems.join('; ')}`);
  return { timeoutMs: timeout * 1000, retries, pdus };
}

function parsePdu(name: string, values: Record<string, string>, problem: (message: string) => void): PduConfig | null {
  let problems = 0;
  const report = (message: string) => {
    problems++;
    problem(message);
  };
  const host = values.host ?? '';
  if (!host) report('host is missing');
  const port = Number(values.port ?? '161');
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) report(`port ${JSON.stringify(values.port)} is not a UDP port`);
  const version = (values.version ?? '2c').toLowerCase().replace(/^v/, '');
  if (version !== '1' && version !== '2c' && version !== '3') report(`version ${JSON.stringify(values.version)} is not 1, 2c or 3`);
  const model = (values.model ?? 'apc-rpdu').toLowerCase();
  const preset = PRESETS[model];
  if (!preset) report(`model ${JSON.stringify(values.model)} is unknown (known: ${Object.keys(PRESETS).join(', ')})`);
  const hostId = values.host_id ?? `pdu-${toFieldName(name)}`;
  if (!isSafeName(hostId)) report(`host_id ${JSON.stringify(hostId)} is not a safe host ID`);
  const phases = Number(values.phases ?? '1');
  if (!(Number.isInteger(phases) && phases >= 0 && phases <= 3)) report(`phases ${JSON.stringify(values.phases)} is not 0..3`);
  const voltage = Number(values.voltage ?? '230');
  if (!(voltage > 0 && voltage < 1000)) report(`voltage ${JSON.stringify(values.voltage)} is not a number of volts`);
  const oids: PduOids = { ...(preset ?? {}), extra: [] };
  const outlets = new Map<number, string>();
  for (const [key, value] of Object.entries(values)) {
    const outlet = /^outlet\.(\d+)$/.exec(key);
    if (outlet) {
      const number = Number(outlet[1]);
      if (number < 1 || number > 1024) report(`${key}: outlet numbers are 1..1024`);
      else if (!isSafeName(value.trim())) report(`${key}: ${JSON.stringify(value)} is not a safe host ID`);
      else outlets.set(number, value.trim());
      continue;
    }
    const oid = /^oid\.(.+)$/.exec(key);
    if (!oid) continue;
    const normalized = value.trim().replace(/^\./, '');
    if (!/^\d+(\.(\d+|\{n\}))+$/.test(normalized)) {
      report(`${key}: ${JSON.stringify(value)} is not a numeric OID`);
      continue;
    }
    const scale = Number(values[`scale.${oid[1]}`] ?? '1');
    if (!Number.isFinite(scale)) report(`scale.${oid[1]} is not a number`);
    const known = KNOWN_OIDS[oid[1]];
    if (known) oids[known] = { oid: normalized, scale };
    else if (normalized.includes('{n}')) report(`${key}: only phase_amps, outlet_watts and outlet_amps take {n}`);
    else oids.extra.push({ field: toFieldName(oid[1]), label: oid[1].slice(0, 256), oid: normalized, scale });
  }
  if (oids.outletWatts === undefined && oids.outletAmps === undefined && outlets.size > 0)
    report('outlets are mapped to machines but the model has no outlet OID (set oid.outlet_watts or oid.outlet_amps)');
  const v3 = version === '3' ? parseV3(values, report) : undefined;
  if (problems > 0) return null;
  return {
    name,
    hostId,
    host,
    port,
    version: version as PduConfig['version'],
    community: values.community ?? 'public',
    ...(v3 && { v3 }),
    model,
    oids,
    phases,
    voltage,
    outlets,
  };
}

function parseV3(values: Record<string, string>, report: (message: string) => void): PduConfig['v3'] {
  const user = values.user ?? '';
  if (!user) report('version 3 needs user');
  const authProtocol = (values.auth_protocol ?? 'sha').toLowerCase();
  const privProtocol = (values.priv_protocol ?? 'aes').toLowerCase();
  const level = values.auth_key ? (values.priv_key ? 'authPriv' : 'authNoPriv') : 'noAuthNoPriv';
  if (!['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'].includes(authProtocol))
    report(`auth_protocol ${JSON.stringify(authProtocol)} is unknown`);
  if (!['des', 'aes', 'aes256b', 'aes256r'].includes(privProtocol)) report(`priv_protocol ${JSON.stringify(privProtocol)} is unknown`);
  if (values.priv_key && !values.auth_key) report('priv_key needs auth_key');
  return {
    user,
    level,
    authProtocol,
    privProtocol,
    ...(values.auth_key && { authKey: values.auth_key }),
    ...(values.priv_key && { privKey: values.priv_key }),
  };
}
