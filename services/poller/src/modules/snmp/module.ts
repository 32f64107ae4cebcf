import type { FieldInfo } from '../../../../../common/schemas/index.js';
import type { Collection, CollectRequest, HostDescription, ModuleContext, PluginDescription, PollerModule, Sample } from '../types.js';
import { readOids } from './client.js';
import { type OidSpec, type PduConfig, parseSnmpSettings, type SnmpSettings } from './config.js';

const CATEGORY = 'power';
type Values = Record<string, number | null>;

/** What one PDU read gave, in units (W, A), before it is spread over hosts. */
interface PduReading {
  watts: number | null;
  phaseAmps: Array<number | null>;
  /** Outlet number → watts (measured, or amps × configured voltage). */
  outletWatts: Map<number, number | null>;
  extra: Values;
}

/**
 * Power from PDUs over SNMP, as PowerMon did: each PDU's totals under the PDU's own
 * host ID, and each machine's watts (the outlets it is plugged into, summed, across
 * PDUs) under the machine's host ID as plugin `power`, next to its own load graphs.
 * PDUs are read concurrently; one that does not answer gives unknown values and an
 * error line, never a stalled poll.
 */
export class SnmpPduModule implements PollerModule {
  readonly name = 'snmp';
  private readonly counters = { polls: 0, pduFailures: 0 };

  constructor(private readonly settings: SnmpSettings) {}

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  async collect(request: CollectRequest): Promise<Collection> {
    this.counters.polls++;
    const errors: string[] = [];
    const readings = await Promise.all(
      this.settings.pdus.map((pdu) =>
        this.read(pdu).catch((error: Error) => {
          this.counters.pduFailures++;
          errors.push(`snmp: ${error.message}`);
          return null;
        }),
      ),
    );
    const out = { plugins: [] as PluginDescription[], samples: [] as Sample[], hosts: [] as HostDescription[], errors };
    const add = (description: PluginDescription, values: Values) => {
      out.plugins.push(description);
      out.samples.push({ plugin: description.plugin, hostId: description.hostId as string, timestamp: request.nowSeconds, values });
    };
    const machines = new Map<string, Array<number | null>>();
    this.settings.pdus.forEach((pdu, index) => {
      const reading = readings[index];
      out.hosts.push({
        hostId: pdu.hostId,
        name: `PDU ${pdu.name}`.slice(0, 256),
        description: `${pdu.model} PDU at ${pdu.host}:${pdu.port} (SNMP v${pdu.version})`,
      });
      publishPdu(pdu, reading, add);
      for (const [outlet, machine] of pdu.outlets) {
        const list = machines.get(machine) ?? [];
        list.push(reading?.outletWatts.get(outlet) ?? null);
        machines.set(machine, list);
      }
    });
    for (const [machine, parts] of machines) {
      const watts = parts.some((w) => w === null) ? null : round((parts as number[]).reduce((a, b) => a + b, 0));
      add(
        {
          plugin: 'power',
          hostId: machine,
          title: 'Power consumption',
          vlabel: 'watts',
          category: CATEGORY,
          order: ['watts'],
          info: `Measured by the PDU outlets this machine is plugged into (${parts.length}), summed.`,
          fields: { watts: { label: 'power', type: 'GAUGE', min: 0, draw: 'AREA' } },
        },
        { watts },
      );
    }
    return out;
  }

  private async read(pdu: PduConfig): Promise<PduReading> {
    const { oids } = pdu;
    const outletSpec = oids.outletWatts ?? oids.outletAmps;
    const phaseOids = oids.phaseAmps ? range(pdu.phases).map((n) => instance(oids.phaseAmps as OidSpec, n)) : [];
    const outletOids = outletSpec ? [...pdu.outlets.keys()].map((n) => instance(outletSpec, n)) : [];
    const wanted = [...(oids.watts ? [oids.watts.oid] : []), ...phaseOids, ...outletOids, ...oids.extra.map((e) => e.oid)];
    const got = await readOids(pdu, [...new Set(wanted)], { timeoutMs: this.settings.timeoutMs, retries: this.settings.retries });
    const scaled = (oid: string, scale: number) => {
      const value = got.get(oid);
      return value === null || value === undefined ? null : round(value * scale);
    };
    const outletWatts = new Map<number, number | null>();
    [...pdu.outlets.keys()].forEach((n, index) => {
      const value = outletSpec ? scaled(outletOids[index], outletSpec.scale) : null;
      // Outlets metered in amps only: watts at the configured voltage (power factor 1).
      outletWatts.set(n, value === null || oids.outletWatts ? value : round(value * pdu.voltage));
    });
    return {
      watts: oids.watts ? scaled(oids.watts.oid, oids.watts.scale) : null,
      phaseAmps: phaseOids.map((oid) => scaled(oid, (oids.phaseAmps as OidSpec).scale)),
      outletWatts,
      extra: Object.fromEntries(oids.extra.map((e) => [e.field, scaled(e.oid, e.scale)])),
    };
  }
}

function publishPdu(pdu: PduConfig, reading: PduReading | null, add: (description: PluginDescription, values: Values) => void): void {
  const hostId = pdu.hostId;
  if (pdu.oids.watts) {
    add(
      {
        plugin: 'pdu_power',
        hostId,
        title: `PDU ${pdu.name} power`,
        vlabel: 'watts',
        category: CATEGORY,
        order: ['watts'],
        fields: { watts: { label: 'total power', type: 'GAUGE', min: 0, draw: 'AREA' } },
      },
      { watts: reading?.watts ?? null },
    );
  }
  if (pdu.oids.phaseAmps && pdu.phases > 0) {
    const fields: Record<string, FieldInfo> = {};
    const values: Values = {};
    range(pdu.phases).forEach((n, index) => {
      fields[`phase${n}`] = { label: `phase ${n}`, type: 'GAUGE', min: 0 };
      values[`phase${n}`] = reading?.phaseAmps[index] ?? null;
    });
    add(
      {
        plugin: 'pdu_phases',
        hostId,
        title: `PDU ${pdu.name} load per phase`,
        vlabel: 'amps',
        category: CATEGORY,
        order: Object.keys(fields),
        fields,
      },
      values,
    );
  }
  if (pdu.outlets.size > 0) {
    const fields: Record<string, FieldInfo> = {};
    const values: Values = {};
    for (const [n, machine] of [...pdu.outlets].sort((a, b) => a[0] - b[0])) {
      fields[`outlet_${n}`] = {
        label: `outlet ${n}: ${machine}`.slice(0, 256),
        type: 'GAUGE',
        min: 0,
        draw: Object.keys(fields).length === 0 ? 'AREA' : 'STACK',
      };
      values[`outlet_${n}`] = reading?.outletWatts.get(n) ?? null;
    }
    add(
      {
        plugin: 'pdu_outlets',
        hostId,
        title: `PDU ${pdu.name} power per outlet`,
        vlabel: 'watts',
        category: CATEGORY,
        order: Object.keys(fields),
        info: pdu.oids.outletWatts ? 'Measured watts per outlet.' : `Outlet current × ${pdu.voltage} V (power factor taken as 1).`,
        fields,
      },
      values,
    );
  }
  if (pdu.oids.extra.length > 0) {
    const fields: Record<string, FieldInfo> = Object.fromEntries(
      pdu.oids.extra.map((e) => [e.field, { label: e.label, type: 'GAUGE', info: `OID ${e.oid} × ${e.scale}` } satisfies FieldInfo]),
    );
    add(
      { plugin: 'pdu_oids', hostId, title: `PDU ${pdu.name} values`, category: CATEGORY, order: Object.keys(fields), fields },
      reading?.extra ?? Object.fromEntries(Object.keys(fields).map((f) => [f, null])),
    );
  }
}

function instance(spec: OidSpec, n: number): string {
  return spec.oid.replaceAll('{n}', String(n));
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The factory the module registry calls: `[SnmpModule]` plus every `[PDU:<name>]` section. */
export function createSnmpModule(context: ModuleContext): SnmpPduModule {
  return new SnmpPduModule(parseSnmpSettings(context.config, context.ini));
}
