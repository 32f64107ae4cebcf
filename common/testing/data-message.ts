import type { DataMessage } from '../schemas/index.js';

/** Numbered messages have timestamp `NUMBERED_EPOCH + n`. */
export const NUMBERED_EPOCH = 1_700_000_000;

export interface OnePoint {
  plugin: string;
  timestamp: number;
  values: Record<string, number | null>;
}

/**
 * A one-point data message for `hostId`: either the point given, or numbered by `n` (plugin
 * `cpu`, timestamp `NUMBERED_EPOCH + n`, so its messageId is unique, values `{ user: n }`)
 * for tests that follow messages by number through a spool or a broker.
 */
export function dataMessage(hostId: string, point: number | OnePoint): DataMessage {
  const one = typeof point === 'number' ? { plugin: 'cpu', timestamp: NUMBERED_EPOCH + point, values: { user: point } } : point;
  return { v: 1, kind: 'data', hostId, points: [one] };
}

/** The `n` a numbered message was made from (see dataMessage). */
export function numberOf(message: DataMessage): number {
  return message.points[0].timestamp - NUMBERED_EPOCH;
}
