import type { Channel, ChannelModel } from 'amqplib';
import {
  ALERTING_QUEUE_LIMITS,
  DEAD_LETTER_EXCHANGE,
  DEAD_QUEUE,
  DEAD_QUEUE_LIMITS,
  EXCHANGE,
  EXCHANGE_TYPE,
  type QueueType,
} from './topology.js';

/**
 * The durable topic exchange pollers publish to. Publishers declare only this. A consumer
 * of the original Numeter's messages passes their exchange (declared non-durable there).
 */
export async function declareExchange(channel: Channel, exchange: ConsumerExchange = DEFAULT_CONSUMER_EXCHANGE): Promise<void> {
  await channel.assertExchange(exchange.name, EXCHANGE_TYPE, { durable: exchange.durable });
}

/** The exchange a consumer's queue is bound to. */
export interface ConsumerExchange {
  name: string;
  durable: boolean;
}

export const DEFAULT_CONSUMER_EXCHANGE: ConsumerExchange = { name: EXCHANGE, durable: true };

/** Durable queue arguments: its type, and the DLX the broker itself uses (quorum delivery limit). */
export function queueArguments(queueType: QueueType, deliveryLimit?: number): Record<string, unknown> {
  const args: Record<string, unknown> = { 'x-queue-type': queueType, 'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE };
  if (queueType === 'quorum' && deliveryLimit !== undefined) args['x-delivery-limit'] = deliveryLimit;
  return args;
}

/**
 * Arguments of ALERTING_QUEUE beyond queueArguments: its bounds (length, age, drop-head) and
 * single active consumer, so several webapp processes can run the engine, one at a time.
 */
export function alertingQueueLimitArguments(): Record<string, unknown> {
  return {
    'x-max-length': ALERTING_QUEUE_LIMITS.maxLength,
    'x-message-ttl': ALERTING_QUEUE_LIMITS.messageTtlMs,
    'x-overflow': ALERTING_QUEUE_LIMITS.overflow,
    'x-single-active-consumer': ALERTING_QUEUE_LIMITS.singleActiveConsumer,
  };
}

/** Arguments of the dead queue: its type and its bounds (length, bytes, age, overflow). */
export function deadQueueArguments(queueType: QueueType): Record<string, unknown> {
  return {
    'x-queue-type': queueType,
    'x-max-length': DEAD_QUEUE_LIMITS.maxLength,
    'x-max-length-bytes': DEAD_QUEUE_LIMITS.maxLengthBytes,
    'x-message-ttl': DEAD_QUEUE_LIMITS.messageTtlMs,
    'x-overflow': DEAD_QUEUE_LIMITS.overflow,
  };
}

/**
 * The dead-letter exchange and the queue that keeps every refused message, bound with '#'.
 * The dead queue is shared by every consumer of the vhost: one that exists is kept whatever
 * its type and bounds (redeclaring it with other arguments would fail), a missing one gets
 * `queueType` and DEAD_QUEUE_LIMITS.
 * Uses throwaway channels because a passive check of a missing queue closes its channel.
 */
export async function declareDeadLetter(model: ChannelModel, queueType: QueueType): Promise<void> {
  await onThrowawayChannel(model, (ch) => ch.assertExchange(DEAD_LETTER_EXCHANGE, 'topic', { durable: true }));
  if (!(await queueExists(model, DEAD_QUEUE))) {
    // Two consumers starting together both find it missing; if the other one created it
    // first with another type, ours fails (PRECONDITION_FAILED) and theirs is kept.
    await onThrowawayChannel(model, (ch) => ch.assertQueue(DEAD_QUEUE, { durable: true, arguments: deadQueueArguments(queueType) })).catch(
      async (error: unknown) => {
        if (!(await queueExists(model, DEAD_QUEUE))) throw error;
      },
    );
  }
  await onThrowawayChannel(model, (ch) => ch.bindQueue(DEAD_QUEUE, DEAD_LETTER_EXCHANGE, '#'));
}

async function queueExists(model: ChannelModel, queue: string): Promise<boolean> {
  return onThrowawayChannel(model, (ch) => ch.checkQueue(queue)).then(
    () => true,
    () => false,
  );
}

/** Runs `work` on a channel of its own, closed after (a failed declaration closes it already). */
async function onThrowawayChannel<T>(model: ChannelModel, work: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await model.createChannel();
  channel.on('error', () => {});
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => {});
  }
}

/** A consumer's queue and its bindings (routing keys = host IDs, or '#' for every host). */
export async function declareConsumerQueue(
  channel: Channel,
  queue: string,
  bindings: string[],
  queueType: QueueType,
  deliveryLimit?: number,
  exchange: string = EXCHANGE,
  extraArguments: Record<string, unknown> = {},
): Promise<void> {
  await channel.assertQueue(queue, { durable: true, arguments: { ...queueArguments(queueType, deliveryLimit), ...extraArguments } });
  for (const key of bindings) await channel.bindQueue(queue, exchange, key);
}
