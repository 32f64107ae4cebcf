import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { DataMessage } from '../../../common/schemas/index.js';
import { numberOf as numberOfMessage } from '../../../common/testing/data-message.js';
import type { SpoolRecord } from '../src/spool/index.js';

/** The host of the spool tests' numbered messages. */
export const SPOOL_HOST = 'host-spool';

/** The `n` a record's numbered message was made from (common/testing's dataMessage). */
export function numberOf(record: SpoolRecord): number {
  return numberOfMessage(JSON.parse(record.payload.toString()) as DataMessage);
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
