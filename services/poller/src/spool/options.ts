import type { FileHandle } from 'node:fs/promises';
import type { Clock } from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import {
  describeIssues,
  encodeMessage,
  fastDataMessage,
  LIMITS,
  Message,
  type MessageInput,
  messageId,
} from '../../../../common/schemas/index.js';
import type { RecordRoute } from './record.js';

export type FsyncPolicy = 'always' | 'never' | number;
export type DropReason = 'size' | 'age' | 'disk-full';

/** How bytes reach a segment file; tests inject faults (ENOSPC) here. */
export interface SpoolIo {
  write(handle: FileHandle, data: Buffer): Promise<void>;
}

export interface SpoolOptions {
  dir: string;
  /** A segment is closed and a new one started past this size. Default 8 MiB. */
  segmentBytes?: number;
  /** Total bytes of segment files; the oldest segment is dropped to stay under. Default 256 MiB. */
  maxBytes?: number;
  /** Segments whose newest record is older are dropped. Default 7 days. */
  maxAgeSeconds?: number;
  /** fsync after every append, every N ms, or never (the OS flushes). @defaultValue SPOOL_DEFAULTS.fsyncMs */
  fsync?: FsyncPolicy;
  /** Where the spool reads the time (epoch milliseconds for record times and ages). @defaultValue systemClock */
  clock?: Clock;
  logger?: Logger;
  /** How soon a confirm reaches the cursor file. Default 250 ms. */
  cursorSyncMs?: number;
  /** Bytes read per read() call. Default 1 MiB. */
  readChunkBytes?: number;
  io?: SpoolIo;
}

export class SpoolConfigError extends Error {
  override name = 'SpoolConfigError';
}
export class SpoolWriteError extends Error {
  override name = 'SpoolWriteError';
}
export class SpoolClosedError extends Error {
  override name = 'SpoolClosedError';
}

export const defaultIo: SpoolIo = {
  async write(handle, data) {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written);
      written += bytesWritten;
    }
  },
};

const MiB = 1024 * 1024;

export type ResolvedSpoolOptions = Required<Omit<SpoolOptions, 'logger' | 'io' | 'clock'>>;

/** The spool's defaults, also those of the poller's `[global] spool_*` keys (config/schema.ts). */
export const SPOOL_DEFAULTS = {
  segmentBytes: 8 * MiB,
  maxBytes: 256 * MiB,
  maxAgeSeconds: 7 * 24 * 3600,
  /** ms between fsyncs: what a power cut may lose. */
  fsyncMs: 1000,
} as const;

/** Options with their defaults; throws SpoolConfigError listing every problem. */
export function resolveOptions(options: SpoolOptions): ResolvedSpoolOptions {
  const resolved: ResolvedSpoolOptions = {
    dir: options.dir,
    segmentBytes: options.segmentBytes ?? SPOOL_DEFAULTS.segmentBytes,
    maxBytes: options.maxBytes ?? SPOOL_DEFAULTS.maxBytes,
    maxAgeSeconds: options.maxAgeSeconds ?? SPOOL_DEFAULTS.maxAgeSeconds,
    fsync: options.fsync ?? SPOOL_DEFAULTS.fsyncMs,
    cursorSyncMs: options.cursorSyncMs ?? 250,
    readChunkBytes: options.readChunkBytes ?? MiB,
  };
  const problems = configProblems(resolved);
  if (problems.length) throw new SpoolConfigError(`invalid spool options: ${problems.join('; ')}`);
  return resolved;
}

/** A validated message as the spool stores it: its encoding and how it is published. */
export interface EncodedMessage {
  payload: Buffer;
  route: RecordRoute;
}

/** How a valid message is published: routing key (its host), AMQP type and messageId (its idempotency key). */
export function routeOf(message: Message): RecordRoute {
  return { kind: message.kind, hostId: message.hostId, messageId: messageId(message) };
}

/**
 * Validates each message against the v1 schema (applying defaults) and encodes it; an
 * invalid or oversized one is reported to `onInvalid` and left out, the rest go on.
 */
export function encodeValidMessages(messages: MessageInput[], onInvalid: (reason: string, hostId: unknown) => void): EncodedMessage[] {
  const encoded: EncodedMessage[] = [];
  for (const message of messages) {
    // Data messages (nearly all of them) through the hand-written check, which accepts only
    // what zod accepts; zod for the rest and for the reason (a listener module spools 200,000+ values/s).
    const fast = (message as { kind?: unknown }).kind === 'data' ? fastDataMessage(message) : null;
    const parsed = fast ? ({ success: true, data: fast } as const) : Message.safeParse(message);
    const payload = parsed.success ? encodeMessage(parsed.data) : undefined;
    if (!parsed.success || !payload || payload.length > LIMITS.maxMessageBytes) {
      const reason = parsed.success ? `encoded message exceeds ${LIMITS.maxMessageBytes} bytes` : describeIssues(parsed.error.issues);
      onInvalid(reason, (message as { hostId?: unknown } | null)?.hostId);
      continue;
    }
    encoded.push({ payload, route: routeOf(parsed.data) });
  }
  return encoded;
}

function configProblems(o: { segmentBytes: number; maxBytes: number; maxAgeSeconds: number; fsync: FsyncPolicy }): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(o.segmentBytes) || o.segmentBytes < 4096)
    problems.push(`segmentBytes ${o.segmentBytes} must be an integer >= 4096`);
  if (!(o.maxBytes >= 2 * o.segmentBytes)) problems.push(`maxBytes ${o.maxBytes} must be at least twice segmentBytes (${o.segmentBytes})`);
  if (!(o.maxAgeSeconds > 0)) problems.push(`maxAgeSeconds ${o.maxAgeSeconds} must be positive`);
  if (typeof o.fsync === 'number' && !(o.fsync > 0)) problems.push(`fsync interval ${o.fsync} ms must be positive`);
  else if (typeof o.fsync === 'string' && o.fsync !== 'always' && o.fsync !== 'never')
    problems.push(`fsync "${o.fsync}" must be always, never or a number of ms`);
  return problems;
}
