import snmp, { type Session, type Varbind } from 'net-snmp';
import type { PduConfig } from './config.js';

export class SnmpPollError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnmpPollError';
  }
}

/** SNMP's Counter64 type tag: net-snmp returns its value as big-endian bytes. */
const COUNTER64 = 70;
/** OIDs per GET request: small enough for any agent's PDU size. */
const BATCH = 20;

/**
 * GETs the OIDs of one PDU and returns a number (or null: no such object, not numeric)
 * per OID. One session per poll, closed afterwards. An agent that never answers (down,
 * wrong community, wrong v3 credentials) fails after timeout × (retries + 1).
 */
export async function readOids(
  pdu: PduConfig,
  oids: string[],
  options: { timeoutMs: number; retries: number },
): Promise<Map<string, number | null>> {
  const session = openSession(pdu, options);
  const out = new Map<string, number | null>();
  try {
    for (let start = 0; start < oids.length; start += BATCH) {
      const batch = oids.slice(start, start + BATCH);
      let varbinds: Varbind[];
      try {
        varbinds = await get(session, batch);
      } catch (error) {
        if ((error as Error).name === 'RequestTimedOutError') throw error;
        // SNMPv1 fails the whole request when one OID is missing: ask one by one.
        varbinds = [];
        for (const oid of batch) varbinds.push(...(await get(session, [oid]).catch(() => [{ oid, type: 128, value: null }])));
      }
      for (const [index, oid] of batch.entries()) out.set(oid, toNumber(varbinds[index]));
    }
  } catch (error) {
    const timedOut = (error as Error).name === 'RequestTimedOutError';
    const why = timedOut
      ? `no answer after ${options.retries + 1} tries of ${options.timeoutMs} ms (down, or wrong community/credentials?)`
      : (error as Error).message;
    throw new SnmpPollError(`PDU ${pdu.name} (${pdu.host}:${pdu.port}): ${why}`, { cause: error });
  } finally {
    session.close();
  }
  return out;
}

function openSession(pdu: PduConfig, options: { timeoutMs: number; retries: number }): Session {
  const common = {
    port: pdu.port,
    timeout: options.timeoutMs,
    retries: options.retries,
    transport: pdu.host.includes(':') ? ('udp6' as const) : ('udp4' as const),
  };
  let session: Session;
  if (pdu.version === '3' && pdu.v3) {
    const v3 = pdu.v3;
    session = snmp.createV3Session(
      pdu.host,
      {
        name: v3.user,
        level: snmp.SecurityLevel[v3.level],
        ...(v3.authKey && { authProtocol: snmp.AuthProtocols[v3.authProtocol as keyof typeof snmp.AuthProtocols], authKey: v3.authKey }),
        ...(v3.privKey && { privProtocol: snmp.PrivProtocols[v3.privProtocol as keyof typeof snmp.PrivProtocols], privKey: v3.privKey }),
      },
      { ...common, version: snmp.Version3 },
    );
  } else {
    session = snmp.createSession(pdu.host, pdu.community, { ...common, version: pdu.version === '1' ? snmp.Version1 : snmp.Version2c });
  }
  session.on('error', () => {
    // Socket errors surface as failed requests; without a listener they would crash the poller.
  });
  return session;
}

function get(session: Session, oids: string[]): Promise<Varbind[]> {
  return new Promise((resolve, reject) => {
    session.get(oids, (error, varbinds) => (error ? reject(error) : resolve(varbinds ?? [])));
  });
}

function toNumber(varbind: Varbind | undefined): number | null {
  if (!varbind || snmp.isVarbindError(varbind)) return null;
  const value = varbind.value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Buffer.isBuffer(value)) {
    if (varbind.type === COUNTER64) return value.length > 0 && value.length <= 8 ? Number(BigInt(`0x${value.toString('hex')}`)) : null;
    const number = Number(value.toString('latin1').trim());
    return value.length > 0 && Number.isFinite(number) ? number : null;
  }
  return null;
}
