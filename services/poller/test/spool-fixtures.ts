import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { DataMessage } from '../../../common/schemas/index.js';
import type { SpoolRecord } from '../src/spool/index.js';

/** A one-point data message; `n` makes its timestamp (hence its messageId) unique. */
export function dataMessage(n: number, hostId = 'host-spool'): DataMessage {
  return { v: 1, kind: 'data', hostId, points: [{ plugin: 'cpu', timestamp: 1_700_000_000 + n, values: { user: n } }] };
}

/** The `n` a record was made from (see dataMessage). */
export function numberOf(record: SpoolRecord): number {
  return (JSON.parse(record.payload.toString()) as DataMessage).points[0].timestamp - 1_700_000_000;
}

export { tempDir } from '../../../common/testing/temp-dir.js';

/** A pino logger whose lines land in `lines` (parsed). */
export function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

/** Every record from the read position on, in batches of `batch`. */
export async function readAll(spool: { read(max: number): Promise<SpoolRecord[]> }, batch = 7): Promise<SpoolRecord[]> {
  const all: SpoolRecord[] = [];
  for (;;) {
    const got = await spool.read(batch);
    if (got.length === 0) return all;
    all.push(...got);
  }
}
