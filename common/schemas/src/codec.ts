import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { fastDataMessage } from './fast-data.js';
import { keptKeyCount, writtenKeyCount } from './json-keys.js';
import { LIMITS, Message } from './messages.js';

export type DecodeResult = { ok: true; message: Message } | { ok: false; reason: string };

export function encodeMessage(message: Message): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/**
 * Checks size, JSON syntax, then shape: a data message through the hand-written fast
 * check (fast-data.ts), anything it is not sure of through the nesting depth limit and
 * zod, which gives the reason. A hostile body costs at most a few linear scans (V8's
 * JSON.parse is not recursive: deep nesting cannot overflow the stack; a fast-checked
 * message is 4 deep by its shape). Duplicated keys are refused (json-keys.ts). A body that is not valid UTF-8 is refused: decoding
 * would turn every bad byte into U+FFFD, so two different names could meet in one file.
 * Never throws: the consumer dead-letters `reason`.
 */
export function decodeMessage(body: Buffer | string, limits = LIMITS): DecodeResult {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > limits.maxMessageBytes) return { ok: false, reason: `message of ${size} bytes exceeds ${limits.maxMessageBytes}` };
  if (typeof body !== 'string' && !isUtf8(body)) return { ok: false, reason: 'message body is not valid UTF-8' };
  const textBody = typeof body === 'string' ? body : body.toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(textBody);
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
  const duplicated = writtenKeyCount(textBody) - keptKeyCount(raw);
  if (duplicated > 0) return { ok: false, reason: `JSON objects with duplicated keys (${duplicated} written twice or more)` };
  // Data messages are nearly all the traffic: the fast check, then zod only if it is not sure.
  const fast = fastDataMessage(raw);
  if (fast) return { ok: true, message: fast };
  const depth = jsonDepth(textBody);
  if (depth > limits.maxJsonDepth) return { ok: false, reason: `JSON nested ${depth} deep, more than ${limits.maxJsonDepth}` };
  const parsed = Message.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error.issues) };
  return { ok: true, message: parsed.data };
}

export function describeIssues(issues: ReadonlyArray<{ path: (string | number)[]; message: string }>, max = 5): string {
  const shown = issues.slice(0, max).map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`);
  if (issues.length > max) shown.push(`and ${issues.length - max} more`);
  return shown.join('; ');
}

/** Maximum bracket nesting outside strings; linear, no recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/**
 * Idempotency keys, one per (host, plugin, timestamp) the message carries. Writing the
 * same key twice stores the same value in the same Whisper slot, so duplicates are harmless.
 */
export function idempotencyKeys(message: Message): string[] {
  switch (message.kind) {
    case 'host':
      return [`${message.hostId}|@host|${message.timestamp}`];
    case 'info':
      return [`${message.hostId}|@info:${message.plugin}|${message.timestamp}`];
    case 'data':
      return message.points.map((p) => `${message.hostId}|${p.plugin}|${p.timestamp}`);
  }
}

/** The AMQP messageId: the key itself for one point, a digest of the sorted keys otherwise. */
export function messageId(message: Message): string {
  const keys = idempotencyKeys(message);
  if (keys.length === 1) return keys[0];
  return `${message.hostId}|sha1:${createHash('sha1').update(keys.sort().join('\n')).digest('hex')}`;
}
