import type { Disposition } from '../../../../common/bus/index.js';
import { CorruptWhisperFileError, InvalidConfigurationError } from '../../../../common/whisper/index.js';
import { CacheStoppedError } from '../cache/write-cache.js';
import { HostDirectoryCollisionError } from '../files/host-directories.js';
import { UnsafePathError } from '../files/layout.js';
import { IndexError } from '../index/index-writer.js';

/**
 * What a failed message becomes. Three classes, because they call for three answers:
 * - a refusal: it will fail the same way on every delivery (bad input, a name the file
 *   system refuses, a damaged file) → dead-letter at once, with the reason;
 * - the service's failure: Redis unreachable, disk full, the storage stopping → requeue
 *   without limit (every message would fail: dead-lettering would only move good ones aside);
 * - anything else → requeue, counted: the consumer dead-letters it after `max_requeues`
 *   tries, so an unforeseen poison message cannot hold a prefetch slot for ever.
 */
export type RefusalKind =
  | 'invalid'
  | 'legacy-invalid'
  | 'unsafe-name'
  | 'unwritable'
  | 'host-mismatch'
  | 'future'
  | 'too-old'
  | 'corrupt-file'
  | 'series-limit';

export class Refusal extends Error {
  constructor(
    readonly kind: RefusalKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'Refusal';
  }
}

/** errno codes of a file operation that fails again for the same path, whatever happens meanwhile. */
const PATH_REFUSED = new Set(['ENAMETOOLONG', 'EILSEQ', 'EINVAL', 'ENOTDIR', 'EISDIR', 'ELOOP', 'EFBIG', 'EEXIST']);
/** errno codes that say the machine or a server is in trouble, not the message. */
const SERVICE_TROUBLE = new Set([
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EMFILE',
  'ENFILE',
  'ENOMEM',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** ioredis reports a lost connection with plain Errors: recognised by class name or message. */
const REDIS_TROUBLE = /^(MaxRetriesPerRequestError|ClusterAllFailedError)$|Connection is closed|Stream isn't writeable|Command timed out/;

/** The refusal `error` amounts to, or null when a retry may succeed. */
export function asRefusal(error: unknown): Refusal | null {
  if (error instanceof Refusal) return error;
  if (error instanceof UnsafePathError || error instanceof HostDirectoryCollisionError) return new Refusal('unsafe-name', error.message);
  if (error instanceof CorruptWhisperFileError || error instanceof InvalidConfigurationError)
    return new Refusal('corrupt-file', error.message);
  const code = errnoCode(error);
  if (code && PATH_REFUSED.has(code)) return new Refusal('unwritable', `the file system refuses it (${code}): ${messageOf(error)}`);
  return null;
}

/** The requeue for a failure that is not a refusal: unbounded when the service, not the message, is failing. */
export function requeueFor(error: unknown): Disposition {
  const reason = messageOf(error);
  return { action: 'requeue', reason, unbounded: isServiceTrouble(error) };
}

function isServiceTrouble(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof IndexError || e instanceof CacheStoppedError) return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && SERVICE_TROUBLE.has(code)) return true;
    if (REDIS_TROUBLE.test(e.name) || REDIS_TROUBLE.test(e.message)) return true;
  }
  return false;
}

/** The first errno code along the cause chain (whisper errors wrap the system call's). */
function errnoCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
