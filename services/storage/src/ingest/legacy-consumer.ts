import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import {
  type ConsumedMessage,
  DEAD_LETTER_EXCHANGE,
  DEAD_QUEUE_HEADER,
  DEAD_REASON_HEADER,
  DEAD_ROUTING_KEY_HEADER,
  type Disposition,
  declareDeadLetter,
  forceReconnect,
  openRecoveringConnection,
  type QueueType,
  queueArguments,
} from '../../../../common/bus/index.js';
import type { Logger } from '../../../../common/logging/index.js';

/**
 * Consumes the original Numeter's messages (oslo.messaging envelopes) where the original
 * pollers publish them: exchange `numeter` in their vhost (default `/`), which the
 * original declared NON-durable. BusConsumer declares our durable `numeter` exchange and
 * would fail there (PRECONDITION_FAILED), so this consumer declares the exchange with the
 * legacy durability and otherwise behaves the same: a durable queue per storage name bound
 * to the host IDs, manual acks after the handler, dead letters to `numeter.dlx` in that vhost.
 */
export interface LegacyConsumerOptions {
  url: string;
  exchange: string;
  exchangeDurable: boolean;
  queue: string;
  bindings: string[];
  prefetch: number;
  queueType: QueueType;
  heartbeatSeconds?: number;
  handler: (message: ConsumedMessage) => Promise<Disposition>;
  logger?: Logger;
}

interface Session {
  channel: Channel;
  deadLetters: ConfirmChannel;
  consumerTag?: string;
  closed: boolean;
}

export class LegacyConsumer {
  private connection?: RecoveringChannelModel;
  private logger?: Logger;
  private session?: Session;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counters = { received: 0, acked: 0, deadLettered: 0, requeued: 0, staleSettles: 0 };

  constructor(private readonly opts: LegacyConsumerOptions) {}

  async start(): Promise<void> {
    if (this.connection) return;
    this.stopping = false;
    const { connection, logger } = await openRecoveringConnection(
      {
        url: this.opts.url,
        heartbeatSeconds: this.opts.heartbeatSeconds,
        logger: this.opts.logger,
        connectionName: 'numeter-storage-legacy',
      },
      'legacy-consumer',
      (model) => this.setup(model),
    );
    this.connection = connection;
    this.logger = logger;
    connection.on('disconnect', () => this.dropSession());
  }

  async stop(deadlineMs = 10_000): Promise<void> {
    if (!this.connection || this.stopping) return;
    this.stopping = true;
    const session = this.session;
    if (session?.consumerTag && !session.closed) await session.channel.cancel(session.consumerTag).catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    clearTimeout(timer);
    const connection = this.connection;
    this.connection = undefined;
    this.dropSession();
    await connection.close().catch(() => {});
  }

  stats(): Record<string, number> {
    return { ...this.counters, inFlight: this.inFlight.size, consuming: this.session?.consumerTag && !this.session.closed ? 1 : 0 };
  }

  private async setup(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    const deadLetters = await model.createConfirmChannel();
    const session: Session = { channel, deadLetters, closed: false };
    for (const ch of [channel, deadLetters]) {
      ch.on('error', (err: Error) => this.logger?.warn({ reason: err.message }, 'legacy consumer channel error'));
      ch.on('close', () => {
        if (session.closed) return;
        session.closed = true;
        if (this.session === session) this.session = undefined;
        if (!this.stopping) forceReconnect(model, this.logger ?? (this.opts.logger as Logger));
      });
    }
    await channel.assertExchange(this.opts.exchange, 'topic', { durable: this.opts.exchangeDurable, autoDelete: false });
    await declareDeadLetter(model, this.opts.queueType);
    await channel.assertQueue(this.opts.queue, { durable: true, arguments: queueArguments(this.opts.queueType) });
    for (const key of this.opts.bindings) await channel.bindQueue(this.opts.queue, this.opts.exchange, key);
    await channel.prefetch(this.opts.prefetch);
    this.session = session;
    const { consumerTag } = await channel.consume(this.opts.queue, (d) => this.onDelivery(session, d), { noAck: false });
    session.consumerTag = consumerTag;
  }

  private dropSession(): void {
    if (this.session) this.session.closed = true;
    this.session = undefined;
  }

  private onDelivery(session: Session, delivery: ConsumeMessage | null): void {
    if (delivery === null) {
      if (!session.closed) session.channel.close().catch(() => {});
      return;
    }
    this.counters.received++;
    const work = this.handle(session, delivery).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async handle(session: Session, delivery: ConsumeMessage): Promise<void> {
    const { properties, fields } = delivery;
    let disposition: Disposition;
    try {
      disposition = await this.opts.handler({
        body: delivery.content,
        // The original's oslo routing key is the host ID too, but the storage trusted the
        // context's hostid; the handler compares them only for v1 messages.
        routingKey: '',
        messageId: properties.messageId ?? undefined,
        redelivered: fields.redelivered,
        headers: { ...(properties.headers ?? {}) },
      });
    } catch (error) {
      disposition = fields.redelivered
        ? { action: 'dead-letter', reason: `handler failed: ${(error as Error).message}` }
        : { action: 'requeue' };
    }
    if (session.closed) {
      this.counters.staleSettles++;
      return;
    }
    try {
      if (disposition.action === 'ack') {
        session.channel.ack(delivery);
        this.counters.acked++;
      } else if (disposition.action === 'requeue') {
        session.channel.nack(delivery, false, true);
        this.counters.requeued++;
      } else {
        await this.deadLetter(session, delivery, disposition.reason);
      }
    } catch (error) {
      this.counters.staleSettles++;
      this.logger?.warn({ reason: (error as Error).message }, 'could not settle a legacy delivery; the broker will redeliver it');
    }
  }

  /** Confirmed copy to the DLX first, then ack; if the copy fails the message is requeued, never dropped. */
  private async deadLetter(session: Session, delivery: ConsumeMessage, reason: string): Promise<void> {
    const { properties, fields, content } = delivery;
    const headers = {
      ...properties.headers,
      [DEAD_REASON_HEADER]: reason.slice(0, 1024),
      [DEAD_ROUTING_KEY_HEADER]: fields.routingKey,
      [DEAD_QUEUE_HEADER]: this.opts.queue,
    };
    try {
      await new Promise<void>((resolve, reject) => {
        session.deadLetters.publish(DEAD_LETTER_EXCHANGE, fields.routingKey, content, { persistent: true, headers }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
    } catch (error) {
      this.logger?.warn({ reason: (error as Error).message }, 'dead-letter publish failed; requeueing the message');
      if (!session.closed) session.channel.nack(delivery, false, true);
      this.counters.requeued++;
      return;
    }
    if (session.closed) return;
    session.channel.ack(delivery);
    this.counters.deadLettered++;
  }
}
