import type { DataMessage } from '../../schemas/index.js';

/** A one-point data message; `n` makes its timestamp (hence its messageId) unique. */
export function dataMessage(hostId: string, n: number, plugin = 'cpu'): DataMessage {
  return { v: 1, kind: 'data', hostId, points: [{ plugin, timestamp: 1_700_000_000 + n, values: { user: n, system: null } }] };
}
