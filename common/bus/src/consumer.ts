import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { type Component, type Deadline, type DeadlineInput, FORCE_CLOSE_MS, Lifecycle, settleWithin } from '../../lifecycle/index.js';
import type { Logger } from '../../logging/index.js';
import { type BusOptions, CLOSE_STEP_MS, forceReconnect, openRecoveringConnection } from './connection.js';
import { type ConsumerExchange, DEFAULT_CONSUMER_EXCHANGE, declareConsumerQueue, declareDeadLetter, declareExchange } from './declare.js';
import { deadLetterBody, RequeueTracker, sizeProblem } from './poison.js';
import {
  DEAD_LETTER_EXCHANGE,
  DEAD_LETTER_MAX_BODY_BYTES,
  DEAD_QUEUE_HEADER,
  DEAD_REASON_HEADER,
  DEAD_ROUTING_KEY_HEADER,
  type QueueType,
} from './topology.js';

export interface ConsumedMessage {
  body: Buffer;
  routingKey: string;
  messageId?: string;
  redelivered: boolean;
  headers: Record<string, unknown>;
  contentType?: string;
}

/**
 * `requeue` with a `reason` counts toward `maxRequeues` (the failure may be the message's);
 * `unbounded` never does: the failure is the service's (stopping, a database unreachable),
 * and dead-lettering would only move good messages aside.
 */
export type Disposition =
  | { action: 'ack' }
  | { action: 'dead-letter'; reason: string }
  | { action: 'requeue'; reason?: string; unbounded?: boolean };

/**
 * What a handler that throws gets: 'requeue-once' requeues a first delivery and dead-letters a
 * redelivery (a poison message cannot loop forever); the other two always do the one thing.
 */
export type HandlerErrorPolicy = 'requeue-once' | 'requeue' | 'dead-letter';

export interface BusConsumerOptions extends BusOptions {
  queue: string;
  bindings: string[];
  prefetch: number;
  handler: (message: ConsumedMessage) => Promise<Disposition>;
  onHandlerError?: HandlerErrorPolicy;
  /**
   * A body larger than this is dead-lettered (reason `too-large: ...`) before the handler
   * sees it, and only its head is kept in the dead queue. Default: no check, and bodies
   * over DEAD_LETTER_MAX_BODY_BYTES are cut in the dead queue.
   */
  maxMessageBytes?: number;
  /**
   * A message requeued this many times (counted by this process, or by the broker's
   * x-delivery-count on quorum queues) is dead-lettered instead, with the last reason.
   * Default: unlimited.
   */
  maxRequeues?: number;
  /** Quorum queues only: deliveries after which the broker dead-letters a message itself. */
  deliveryLimit?: number;
  /** Type of numeter.dead; shared by every consumer of the vhost. Default: queueType. */
  deadQueueType?: QueueType;
  /**
   * Exchange the queue is bound to. Default: `numeter`, durable (topology.ts). The original
   * Numeter's pollers publish to a NON-durable `numeter` exchange in their own vhost;
   * declaring it durable there fails with PRECONDITION_FAILED.
   */
  exchange?: ConsumerExchange;
  /** Queue arguments added to its type and DLX (bounds, single active consumer): alertingQueueLimitArguments. */
  queueArguments?: Record<string, unknown>;
}

/** One live connection's channels; replaced wholesale on every reconnect. */
interface Session {
  channel: Channel;
  deadLetters: ConfirmChannel;
  consumerTag?: string;
  closed: boolean;
  /** Delivery tag → ready to ack, in delivery order (tags only grow on a channel). */
  unsettled: Map<number, boolean>;
  ackFlushScheduled: boolean;
}

/**
 * Manual-ack consumer. Handlers run concurrently up to `prefetch`; each delivery is
 * settled after its handler resolves: ack, requeue, or dead-letter (a confirmed copy to
 * the DLX with the reason header, then ack). Recovery re-declares and re-consumes; a
 * handler that finishes after its channel died settles nothing (the broker requeued it).
 */
export class BusConsumer implements Component {
  readonly name: string;
  private readonly lifecycle = new Lifecycle(
    { start: () => this.open(), stop: (deadline) => this.close(deadline) },
    { defaultStopMs: 10_000 },
  );
  private connection?: RecoveringChannelModel;
  private logger?: Logger;
  private session?: Session;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counters = {
    received: 0,
    acked: 0,
    /** basic.ack frames sent: fewer than `acked` when one `multiple` ack settles many. */
    ackFrames: 0,
    deadLettered: 0,
    requeued: 0,
    handlerErrors: 0,
    staleSettles: 0,
    deadLetterFailures: 0,
    consumerStarts: 0,
    /** Dead-lettered unread because the body was over maxMessageBytes. */
    tooLarge: 0,
    /** Dead-lettered because they reached maxRequeues. */
    requeueLimited: 0,
  };
  private readonly requeues?: RequeueTracker;

  constructor(private readonly opts: BusConsumerOptions) {
    this.name = opts.name ?? 'consumer';
    if (opts.maxRequeues !== undefined) this.requeues = new RequeueTracker(opts.maxRequeues);
  }

  get connected(): boolean {
    return this.session !== undefined && !this.session.closed;
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /**
   * Cancels the consumer, waits until the deadline (10 s unless given) for handlers to
   * finish and settle, then closes. A second call awaits the first.
   */
  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  private async open(): Promise<void> {
    this.stopping = false;
    const { connection, logger } = await openRecoveringConnection(this.opts, 'consumer', (model) => this.setup(model));
    this.connection = connection;
    this.logger = logger.child({ queue: this.opts.queue });
    connection.on('disconnect', () => this.dropSession());
  }

  private async close(deadline: Deadline): Promise<void> {
    this.stopping = true;
    const closeStep = () => deadline.extendedTo(FORCE_CLOSE_MS).capped(CLOSE_STEP_MS);
    const session = this.session;
    if (session?.consumerTag && !session.closed) {
      const cancel = session.channel
        .cancel(session.consumerTag)
        .catch((err: Error) => this.logger?.debug({ reason: err.message }, 'cancel failed'));
      await settleWithin(cancel, closeStep());
    }
    if (!(await settleWithin(Promise.allSettled([...this.inFlight]), deadline)))
      this.logger?.warn({ inFlight: this.inFlight.size }, 'stopping with handlers still running; the broker requeues their messages');
    const connection = this.connection;
    this.connection = undefined;
    if (this.session && !this.session.closed) {
      // Closing the channels first makes the broker process our acks before the connection goes.
      const { channel, deadLetters } = this.session;
      this.flushAcks(this.session);
      this.session.closed = true;
      await settleWithin(Promise.allSettled([channel.close(), deadLetters.close()]), closeStep());
    }
    this.dropSession();
    if (connection && !(await settleWithin(connection.close(), closeStep())))
      this.logger?.warn('the broker did not answer the close in time; leaving the connection');
  }

  stats(): Record<string, number> {
    return { ...this.counters, inFlight: this.inFlight.size, connected: this.connected ? 1 : 0 };
  }

  private async setup(model: ChannelModel): Promise<void> {
    const queueType = this.opts.queueType ?? 'classic';
    const channel = await model.createChannel();
    const deadLetters = await model.createConfirmChannel();
    const session: Session = { channel, deadLetters, closed: false, unsettled: new Map(), ackFlushScheduled: false };
    for (const ch of [channel, deadLetters]) {
      ch.on('error', (err: Error) => this.logger?.warn({ reason: err.message }, 'consumer channel error'));
      ch.on('close', () => this.onChannelClosed(session, model));
    }
    const exchange = this.opts.exchange ?? DEFAULT_CONSUMER_EXCHANGE;
    await declareExchange(channel, exchange);
    await declareDeadLetter(model, this.opts.deadQueueType ?? queueType);
    await declareConsumerQueue(
      channel,
      this.opts.queue,
      this.opts.bindings,
      queueType,
      this.opts.deliveryLimit,
      exchange.name,
      this.opts.queueArguments,
    );
    await channel.prefetch(this.opts.prefetch);
    this.session = session;
    const { consumerTag } = await channel.consume(this.opts.queue, (delivery) => this.onDelivery(session, delivery), { noAck: false });
    session.consumerTag = consumerTag;
    this.counters.consumerStarts++;
  }

  private onChannelClosed(session: Session, model: ChannelModel): void {
    if (session.closed) return;
    session.closed = true;
    if (this.session === session) this.session = undefined;
    if (!this.stopping) forceReconnect(model, this.logger);
  }

  private dropSession(): void {
    if (this.session) this.session.closed = true;
    this.session = undefined;
  }

  private onDelivery(session: Session, delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      // The broker cancelled us (queue deleted): reconnecting re-declares and re-consumes.
      this.logger?.warn('broker cancelled the consumer');
      if (!session.closed) session.channel.close().catch(() => {});
      return;
    }
    this.counters.received++;
    session.unsettled.set(delivery.fields.deliveryTag, false);
    const work = this.handle(session, delivery).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async handle(session: Session, delivery: ConsumeMessage): Promise<void> {
    const tooLarge = sizeProblem(delivery.content, this.opts.maxMessageBytes);
    if (tooLarge) {
      this.counters.tooLarge++;
      await this.settle(session, delivery, { action: 'dead-letter', reason: tooLarge });
      return;
    }
    const message = toConsumed(delivery);
    let disposition: Disposition;
    try {
      disposition = await this.opts.handler(message);
      if (!isDisposition(disposition)) throw new Error(`handler returned ${JSON.stringify(disposition)}, not a disposition`);
    } catch (error) {
      this.counters.handlerErrors++;
      const reason = `handler failed: ${(error as Error)?.message ?? String(error)}`;
      this.logger?.warn({ reason, messageId: message.messageId, redelivered: message.redelivered }, 'message handler threw');
      disposition = this.dispositionAfterError(message, reason);
    }
    await this.settle(session, delivery, this.boundRequeue(delivery, disposition));
  }

  /** A requeue that may be the message's fault, past maxRequeues, becomes a dead letter. */
  private boundRequeue(delivery: ConsumeMessage, disposition: Disposition): Disposition {
    if (disposition.action !== 'requeue') {
      this.requeues?.settled(delivery);
      return disposition;
    }
    if (!this.requeues || disposition.unbounded || !this.requeues.requeueReachesLimit(delivery)) return disposition;
    this.counters.requeueLimited++;
    const last = disposition.reason ?? 'no reason given';
    return { action: 'dead-letter', reason: `requeue-limit: failed ${this.opts.maxRequeues} times, last: ${last}` };
  }

  private dispositionAfterError(message: ConsumedMessage, reason: string): Disposition {
    const policy = this.opts.onHandlerError ?? 'requeue-once';
    if (policy === 'requeue' || (policy === 'requeue-once' && !message.redelivered)) return { action: 'requeue', reason };
    return { action: 'dead-letter', reason };
  }

  private async settle(session: Session, delivery: ConsumeMessage, disposition: Disposition): Promise<void> {
    if (session.closed) {
      // The delivery tag died with its channel; the broker has already requeued the message.
      this.counters.staleSettles++;
      return;
    }
    try {
      if (disposition.action === 'ack') {
        session.unsettled.set(delivery.fields.deliveryTag, true);
        this.scheduleAckFlush(session);
      } else if (disposition.action === 'requeue') {
        session.unsettled.delete(delivery.fields.deliveryTag);
        session.channel.nack(delivery, false, true);
        this.counters.requeued++;
      } else {
        await this.deadLetter(session, delivery, disposition.reason);
      }
    } catch (error) {
      this.counters.staleSettles++;
      this.logger?.warn({ reason: (error as Error).message }, 'could not settle a delivery; the broker will redeliver it');
    }
  }

  /**
   * Acks are sent once the current burst of handlers is done (setImmediate): the longest
   * run of ready deliveries from the oldest unsettled one as one `multiple` ack, the few
   * ready ones behind a delivery still being handled one by one. A `multiple` ack never
   * covers a delivery that is unsettled or settled otherwise (those leave the map first).
   */
  private scheduleAckFlush(session: Session): void {
    if (session.ackFlushScheduled) return;
    session.ackFlushScheduled = true;
    setImmediate(() => {
      session.ackFlushScheduled = false;
      this.flushAcks(session);
    });
  }

  private flushAcks(session: Session): void {
    if (session.closed) return; // the broker requeues them with the channel
    let upTo: number | undefined; // last tag of the ready run at the head
    let run = 0;
    let atHead = true;
    const stragglers: number[] = [];
    for (const [tag, ready] of session.unsettled) {
      if (!ready) atHead = false;
      else if (atHead) {
        upTo = tag;
        run++;
      } else stragglers.push(tag);
    }
    try {
      if (upTo !== undefined) {
        for (const [tag] of session.unsettled) {
          session.unsettled.delete(tag);
          if (tag === upTo) break;
        }
        session.channel.ack(tagOnly(upTo), true);
        this.counters.ackFrames++;
        this.counters.acked += run;
      }
      for (const tag of stragglers) {
        session.unsettled.delete(tag);
        session.channel.ack(tagOnly(tag));
        this.counters.ackFrames++;
        this.counters.acked++;
      }
    } catch (error) {
      this.counters.staleSettles++;
      this.logger?.warn({ reason: (error as Error).message }, 'could not ack; the broker will redeliver');
    }
  }

  /** Confirmed copy to the DLX first, then ack: a crash in between duplicates, never loses. */
  private async deadLetter(session: Session, delivery: ConsumeMessage, reason: string): Promise<void> {
    const { properties, fields } = delivery;
    const kept = deadLetterBody(delivery.content, this.opts.maxMessageBytes ?? DEAD_LETTER_MAX_BODY_BYTES);
    const content = kept.body;
    const headers = {
      ...properties.headers,
      ...kept.headers,
      [DEAD_REASON_HEADER]: reason.slice(0, 1024),
      [DEAD_ROUTING_KEY_HEADER]: fields.routingKey,
      [DEAD_QUEUE_HEADER]: this.opts.queue,
    };
    try {
      await new Promise<void>((resolve, reject) => {
        session.deadLetters.publish(
          DEAD_LETTER_EXCHANGE,
          fields.routingKey,
          content,
          { persistent: true, contentType: properties.contentType, messageId: properties.messageId, type: properties.type, headers },
          (err) => (err ? reject(err) : resolve()),
        );
      });
    } catch (error) {
      this.counters.deadLetterFailures++;
      this.logger?.warn({ reason: (error as Error).message }, 'dead-letter publish failed; requeueing the message');
      session.unsettled.delete(delivery.fields.deliveryTag);
      if (!session.closed) session.channel.nack(delivery, false, true);
      this.counters.requeued++;
      return;
    }
    if (session.closed) {
      this.counters.staleSettles++;
      return;
    }
    session.unsettled.delete(delivery.fields.deliveryTag);
    session.channel.ack(delivery);
    this.counters.deadLettered++;
    this.logger?.info({ reason, messageId: properties.messageId, routingKey: fields.routingKey }, 'message dead-lettered');
  }
}

function isDisposition(value: unknown): value is Disposition {
  const action = (value as { action?: unknown } | null)?.action;
  return (
    action === 'ack' || action === 'requeue' || (action === 'dead-letter' && typeof (value as { reason?: unknown }).reason === 'string')
  );
}

/** What amqplib's ack reads from a message: its delivery tag. */
function tagOnly(deliveryTag: number): ConsumeMessage {
  return { fields: { deliveryTag } } as ConsumeMessage;
}

function toConsumed(delivery: ConsumeMessage): ConsumedMessage {
  const { properties, fields } = delivery;
  return {
    body: delivery.content,
    routingKey: fields.routingKey,
    messageId: properties.messageId ?? undefined,
    redelivered: fields.redelivered,
    headers: { ...(properties.headers ?? {}) },
    contentType: properties.contentType ?? undefined,
  };
}
