import type { Message as AmqpMessage, ChannelModel, ConfirmChannel, RecoveringChannelModel } from 'amqplib';
import {
  type Component,
  type Deadline,
  type DeadlineInput,
  FORCE_CLOSE_MS,
  Lifecycle,
  settleWithin,
  systemClock,
  waitUntil,
  wholeSecondsOf,
} from '../../lifecycle/index.js';
import type { Logger } from '../../logging/index.js';
import { describeIssues, encodeMessage, Message, type MessageInput, messageId } from '../../schemas/index.js';
import { type BusOptions, CLOSE_STEP_MS, forceReconnect, openRecoveringConnection } from './connection.js';
import { declareExchange } from './declare.js';
import { BrokerUnavailableError, InvalidMessageError, MessageNackedError, MessageUnroutableError, type PublishError } from './errors.js';
import { CONTENT_TYPE, EXCHANGE, PUBLISH_ID_HEADER, routingKeyForHost } from './topology.js';

export interface PublishProps {
  messageId?: string;
  headers?: Record<string, unknown>;
  /** AMQP `type`; publish() sets the message kind. */
  type?: string;
}

interface PendingPublish {
  resolve: () => void;
  reject: (error: PublishError) => void;
  returned?: MessageUnroutableError;
}

/**
 * Publishes persistent, `mandatory` messages on a ConfirmChannel to the `numeter`
 * exchange. A publish resolves only on the broker's confirm; a message no queue took
 * (basic.return, which arrives before its ack) rejects with MessageUnroutableError, so the
 * caller (the spool forwarder) keeps it. Never buffers: while disconnected, publishes reject
 * at once with BrokerUnavailableError and the spool is the only buffer.
 */
export class BusPublisher implements Component {
  readonly name: string;
  private readonly lifecycle = new Lifecycle(
    { start: () => this.open(), stop: (deadline) => this.close(deadline) },
    { defaultStopMs: 5000 },
  );
  private connection?: RecoveringChannelModel;
  private logger?: Logger;
  private model?: ChannelModel;
  private channel?: ConfirmChannel;
  private readonly pending = new Map<string, PendingPublish>();
  private nextPublishId = 0;
  private stopping = false;
  private connectedWaiters: Array<() => void> = [];
  private readonly counters = {
    published: 0,
    confirmed: 0,
    nacked: 0,
    returned: 0,
    unavailable: 0,
    connects: 0,
    disconnects: 0,
    bufferFull: 0,
  };

  constructor(private readonly opts: BusOptions) {
    this.name = opts.name ?? 'publisher';
  }

  get connected(): boolean {
    return this.channel !== undefined;
  }

  /** Connects in the background; never throws because the broker is down. */
  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /**
   * Waits until the deadline (5 s unless given) for outstanding confirms, then closes;
   * what is left rejects. A second call awaits the first.
   */
  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  private async open(): Promise<void> {
    this.stopping = false;
    const { connection, logger } = await openRecoveringConnection(this.opts, 'publisher', (model) => this.setup(model));
    this.connection = connection;
    this.logger = logger;
    connection.on('disconnect', () => this.dropChannel());
  }

  /** Resolves when a channel is ready (immediately if it is). */
  whenConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  private async close(deadline: Deadline): Promise<void> {
    this.stopping = true;
    await waitUntil(() => this.pending.size === 0 || !this.connected, deadline, { intervalMs: 10 });
    const connection = this.connection;
    this.connection = undefined;
    this.dropChannel();
    if (connection) await settleWithin(connection.close(), deadline.extendedTo(FORCE_CLOSE_MS).capped(CLOSE_STEP_MS));
    this.failAll('publisher stopped');
    this.wakeConnectedWaiters();
  }

  /**
   * Validates `message` (applying schema defaults) and publishes it; an invalid one rejects
   * with InvalidMessageError. With `body`, the caller vouches that it is the encoding of an
   * already validated message (the spool's records are), and nothing is parsed again.
   */
  publish(message: MessageInput, body?: Buffer): Promise<void> {
    let valid: Message;
    if (body) valid = message as Message;
    else {
      const parsed = Message.safeParse(message);
      if (!parsed.success) return Promise.reject(new InvalidMessageError(`invalid message: ${describeIssues(parsed.error.issues)}`));
      valid = parsed.data;
    }
    return this.publishRaw(routingKeyForHost(valid.hostId), body ?? encodeMessage(valid), {
      messageId: messageId(valid),
      type: valid.kind,
    });
  }

  publishRaw(routingKey: string, body: Buffer, props: PublishProps = {}): Promise<void> {
    const channel = this.channel;
    if (!channel || this.stopping) {
      this.counters.unavailable++;
      return Promise.reject(new BrokerUnavailableError('not connected to the broker'));
    }
    const publishId = `${++this.nextPublishId}`;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(publishId, { resolve, reject });
      this.counters.published++;
      try {
        const hasRoom = channel.publish(
          EXCHANGE,
          routingKey,
          body,
          {
            persistent: true,
            mandatory: true,
            contentType: CONTENT_TYPE,
            messageId: props.messageId,
            type: props.type,
            timestamp: wholeSecondsOf(this.opts.clock ?? systemClock),
            headers: { ...props.headers, [PUBLISH_ID_HEADER]: publishId },
          },
          (err) => this.settle(publishId, err),
        );
        if (!hasRoom) this.counters.bufferFull++;
      } catch (error) {
        this.settle(publishId, error);
      }
    });
  }

  stats(): Record<string, number> {
    return { ...this.counters, inFlight: this.pending.size, connected: this.connected ? 1 : 0 };
  }

  private settle(publishId: string, err: unknown): void {
    const entry = this.pending.get(publishId);
    if (!entry) return;
    this.pending.delete(publishId);
    if (entry.returned) {
      this.counters.returned++;
      entry.reject(entry.returned);
    } else if (!err) {
      this.counters.confirmed++;
      entry.resolve();
    } else if (isNack(err)) {
      this.counters.nacked++;
      entry.reject(new MessageNackedError('broker refused the message (nack)', { cause: err }));
    } else {
      this.counters.unavailable++;
      entry.reject(new BrokerUnavailableError('channel closed before the broker confirmed', { cause: err }));
    }
  }

  private async setup(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('error', (err: Error) => this.logger?.warn({ reason: err.message }, 'publisher channel error'));
    channel.on('return', (returned: AmqpMessage) => this.onReturn(returned));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.dropChannel();
      // A channel can die alone (e.g. a protocol error); reconnecting re-runs setup.
      if (!this.stopping) forceReconnect(model, this.logger);
    });
    await declareExchange(channel);
    this.model = model;
    this.channel = channel;
    this.counters.connects++;
    this.wakeConnectedWaiters();
  }

  private onReturn(returned: AmqpMessage): void {
    const publishId = String(returned.properties.headers?.[PUBLISH_ID_HEADER] ?? '');
    const entry = this.pending.get(publishId);
    if (!entry) return;
    const { replyCode, replyText, routingKey } = returned.fields as unknown as { replyCode: number; replyText: string; routingKey: string };
    entry.returned = new MessageUnroutableError(
      `no queue is bound to routing key '${routingKey}' (${replyCode} ${replyText})`,
      replyCode,
      replyText,
    );
  }

  private dropChannel(): void {
    if (!this.channel && !this.model) return;
    if (this.channel) this.counters.disconnects++;
    this.channel = undefined;
    this.model = undefined;
    // amqplib fails outstanding confirm callbacks when the channel closes; this catches any it missed.
    queueMicrotask(() => {
      if (!this.channel) this.failAll('connection to the broker lost');
    });
  }

  private failAll(reason: string): void {
    for (const [publishId, entry] of this.pending) {
      this.pending.delete(publishId);
      this.counters.unavailable++;
      entry.reject(new BrokerUnavailableError(reason));
    }
  }

  private wakeConnectedWaiters(): void {
    const waiters = this.connectedWaiters.splice(0);
    for (const wake of waiters) wake();
  }
}

function isNack(err: unknown): boolean {
  return err instanceof Error && /nack/i.test(err.message);
}
