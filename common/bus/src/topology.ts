/**
 * Every exchange and queue name of the system, in one place. The RabbitMQ definitions
 * file in deploy/ is checked against these by a test.
 */
export const EXCHANGE = 'numeter';
export const EXCHANGE_TYPE = 'topic';
/** Where storages dead-letter messages they refuse; bound to DEAD_QUEUE with '#'. */
export const DEAD_LETTER_EXCHANGE = 'numeter.dlx';
export const DEAD_QUEUE = 'numeter.dead';
/**
 * Bounds of DEAD_QUEUE, declared with it (and in deploy/rabbitmq/definitions.json): at most
 * this many messages and bytes, each kept this long; when full, the oldest are dropped
 * (`drop-head`: refusing new dead letters would make consumers requeue what they refuse).
 * A dead queue declared before these existed keeps its arguments: bound it with a policy
 * (docs/bus.md).
 */
export const DEAD_QUEUE_LIMITS = {
  maxLength: 100_000,
  maxLengthBytes: 512 * 1024 * 1024,
  messageTtlMs: 14 * 86_400 * 1000,
  overflow: 'drop-head',
} as const;
/** A dead letter's body is kept whole up to the consumer's maxMessageBytes (default this)... */
export const DEAD_LETTER_MAX_BODY_BYTES = 1024 * 1024;
/** ...and cut to its first this many bytes beyond, with the original size in DEAD_TRUNCATED_HEADER. */
export const DEAD_LETTER_HEAD_BYTES = 64 * 1024;
/** Header carrying the reason a message was dead-lettered. */
export const DEAD_REASON_HEADER = 'x-numeter-reason';

/** A storage's queue, shared by every process with the same storage name. */
export function storageQueueName(storageName: string): string {
  return `numeter.storage.${storageName}`;
}

/**
 * Routing key of a poller's messages: its host ID, as in the original. A topic key
 * treats `.` as a word separator and `*`/`#` as wildcards only in bindings, so any
 * safe host ID is a valid routing key; bindings escape nothing and bind the exact ID.
 */
export function routingKeyForHost(hostId: string): string {
  return hostId;
}

/** Binding for "every host" (empty or `*` host list). */
export const ALL_HOSTS_BINDING = '#';

export type QueueType = 'classic' | 'quorum';

/** Header naming the routing key a dead-lettered message was originally published with. */
export const DEAD_ROUTING_KEY_HEADER = 'x-numeter-routing-key';
/** Header naming the queue a dead-lettered message was refused from. */
export const DEAD_QUEUE_HEADER = 'x-numeter-queue';
/** Header giving the original size in bytes of a dead letter whose body was cut. */
export const DEAD_TRUNCATED_HEADER = 'x-numeter-truncated';
/**
 * Per-publish header a publisher uses to match a `basic.return` to the publish it
 * belongs to (confirms and returns carry no other per-publish identity).
 */
export const PUBLISH_ID_HEADER = 'x-numeter-publish-id';
/** Content type of every numeter message body (encodeMessage's JSON). */
export const CONTENT_TYPE = 'application/json';

/**
 * The alerting engine's queue: a copy of every poller message (bound to EXCHANGE with '#'),
 * consumed by one engine at a time (`x-single-active-consumer`: its states are in memory).
 * Points older than the TTL are worth nothing to alerting, and a stopped engine must not fill
 * the broker: bounded by age and length, oldest dropped (the no-data rules notice the gap).
 */
export const ALERTING_QUEUE = 'numeter.alerting';
export const ALERTING_QUEUE_LIMITS = {
  maxLength: 1_000_000,
  messageTtlMs: 15 * 60 * 1000,
  overflow: 'drop-head',
  singleActiveConsumer: true,
} as const;
