import { createHash } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { DEAD_LETTER_HEAD_BYTES, DEAD_TRUNCATED_HEADER } from './topology.js';

/**
 * What keeps one bad message from holding the consumer: a requeue count per message (so a
 * message that fails every time is dead-lettered after a bounded number of tries, also on
 * classic queues, which count nothing themselves), a size check before any handler reads
 * the body, and a bounded copy of a large body for the dead queue.
 */

/**
 * Requeues per message, keyed by routing key and a digest of the body (never by the
 * publisher's messageId, which any publisher can reuse). Quorum queues also say how often a
 * message was delivered (`x-delivery-count`): the larger of the two counts. The counts live
 * in this process (a restart starts again from zero: still bounded), at most `maxTracked`
 * messages; a digest is computed only for a requeue or the settling of a redelivery.
 */
export class RequeueTracker {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly maxRequeues: number,
    private readonly maxTracked = 10_000,
  ) {}

  /** Counts one more requeue of `delivery`; true when it reached the limit (dead-letter it instead). */
  requeueReachesLimit(delivery: ConsumeMessage): boolean {
    const key = messageKey(delivery);
    const count = Math.max(this.counts.get(key) ?? 0, brokerDeliveryCount(delivery)) + 1;
    if (count > this.maxRequeues) {
      this.counts.delete(key);
      return true;
    }
    this.counts.delete(key); // re-inserted last: the map's first key is the oldest
    if (this.counts.size >= this.maxTracked) this.counts.delete(this.counts.keys().next().value as string);
    this.counts.set(key, count);
    return false;
  }

  /** A delivery was settled for good: forget its count (only a redelivery can have one). */
  settled(delivery: ConsumeMessage): void {
    if (delivery.fields.redelivered && this.counts.size > 0) this.counts.delete(messageKey(delivery));
  }

  get tracked(): number {
    return this.counts.size;
  }
}

function messageKey(delivery: ConsumeMessage): string {
  return `${delivery.fields.routingKey}\u0000${createHash('sha1').update(delivery.content).digest('base64')}`;
}

/** Quorum queues count deliveries before this one in `x-delivery-count`; classic queues send nothing. */
function brokerDeliveryCount(delivery: ConsumeMessage): number {
  const count = Number(delivery.properties.headers?.['x-delivery-count'] ?? 0);
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/** The dead-letter reason for a body over `maxBytes`, or null; checked before any handler decodes it. */
export function sizeProblem(body: Buffer, maxBytes: number | undefined): string | null {
  if (maxBytes === undefined || body.length <= maxBytes) return null;
  return `too-large: message of ${body.length} bytes exceeds the ${maxBytes} allowed`;
}

/**
 * The body kept in the dead queue: whole when it is not larger than `maxBytes` (anything a
 * consumer could have accepted can be replayed), otherwise its first DEAD_LETTER_HEAD_BYTES
 * (enough to see what it was) and the original size in a header.
 */
export function deadLetterBody(body: Buffer, maxBytes: number): { body: Buffer; headers: Record<string, number> } {
  if (body.length <= maxBytes) return { body, headers: {} };
  return { body: body.subarray(0, DEAD_LETTER_HEAD_BYTES), headers: { [DEAD_TRUNCATED_HEADER]: body.length } };
}
