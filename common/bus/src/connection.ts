import amqp, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import type { Clock } from '../../lifecycle/index.js';
import type { Logger } from '../../logging/index.js';
import { silentLogger } from '../../logging/index.js';
import { InvalidBrokerUrlError } from './errors.js';
import type { QueueType } from './topology.js';

export interface BusOptions {
  /** e.g. amqp://guest:guest@127.0.0.1:5672/%2F (vhost `/` is `%2F`). */
  url: string;
  /**
   * AMQP heartbeat; a dead TCP peer is noticed after about two of these. Each service's
   * configuration sets it (default DEFAULT_HEARTBEAT_SECONDS); when absent the URL's `heartbeat`
   * parameter or the broker's own (RabbitMQ: 60 s) applies.
   */
  heartbeatSeconds?: number;
  /** Shown in the RabbitMQ management UI and `rabbitmqctl list_connections client_properties`. */
  connectionName?: string;
  logger?: Logger;
  /** Type of the queues a consumer declares. Default 'classic' (durable). */
  queueType?: QueueType;
  /** The component's name, in its service's stats (`<name>_published`). Default `publisher` / `consumer`. */
  name?: string;
  /** Reconnect backoff (ms): first delay and cap. Defaults 200 and 5000. */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** A publisher's AMQP `timestamp` property (whole epoch seconds) is read from it. @defaultValue systemClock */
  clock?: Clock;
}

/** The URL with the heartbeat in its query unless the URL already sets one. */
export function urlWithHeartbeat(url: string, heartbeatSeconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(heartbeatSeconds));
  return parsed.toString();
}

/**
 * Refuses a URL amqplib would read leniently (it takes `127.0.0.1:notaport` as the default port
 * and connects somewhere the configuration never named).
 */
export function assertValidBrokerUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new InvalidBrokerUrlError(`invalid broker URL ${redactUrl(url)}`, { cause: error });
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new InvalidBrokerUrlError(`broker URL ${redactUrl(url)}: the scheme must be amqp or amqps`);
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable url)';
  }
}

export interface RecoveringConnection {
  connection: RecoveringChannelModel;
  logger: Logger;
}

/**
 * Opens an amqplib recovering connection that never waits for the broker: `setup`
 * runs after every (re)connect and must recreate channels, topology and consumers.
 * Returns at once; connection attempts continue in the background with backoff.
 */
export async function openRecoveringConnection(
  opts: BusOptions,
  role: string,
  setup: (model: ChannelModel) => Promise<void>,
): Promise<RecoveringConnection> {
  const logger = (opts.logger ?? silentLogger()).child({ component: `bus-${role}` });
  assertValidBrokerUrl(opts.url);
  const connection = await amqp.connect(
    opts.heartbeatSeconds === undefined ? opts.url : urlWithHeartbeat(opts.url, opts.heartbeatSeconds),
    {
      clientProperties: { connection_name: opts.connectionName ?? `numeter-${role}` },
      recovery: {
        waitForConnect: false,
        initialDelay: opts.reconnectInitialDelayMs ?? 200,
        maxDelay: opts.reconnectMaxDelayMs ?? 5000,
        maxRetries: Number.POSITIVE_INFINITY,
        setup,
      },
    },
  );
  const where = redactUrl(opts.url);
  // An outage of days must not write a warning every few seconds: the first failed attempt
  // and every 100th are warnings, the rest debug lines.
  let failedAttempts = 0;
  connection.on('connect', () => {
    logger.info({ url: where, failedAttempts }, 'connected to broker');
    failedAttempts = 0;
  });
  connection.on('disconnect', (err: Error) => logger.warn({ url: where, reason: err.message }, 'broker connection lost'));
  connection.on('connect-failed', (err: Error) => {
    failedAttempts++;
    const level = failedAttempts % 100 === 1 ? 'warn' : 'debug';
    logger[level]({ url: where, reason: err.message, failedAttempts }, 'broker connection attempt failed');
  });
  connection.on('blocked', (reason: string) => logger.warn({ reason }, 'broker blocked the connection (resource alarm)'));
  connection.on('unblocked', () => logger.info('broker unblocked the connection'));
  // Without an 'error' listener an EventEmitter throws; the close that follows drives recovery.
  connection.on('error', (err: Error) => logger.warn({ reason: err.message }, 'broker connection error'));
  connection.on('handler-error', (err: Error, event: string) => logger.error({ reason: err.message, event }, 'bus event handler threw'));
  return { connection, logger };
}

/** Closes a model so recovery reconnects: used when a channel dies but its connection lives on. */
export function forceReconnect(model: ChannelModel, logger?: Logger): void {
  model.close().catch((err: Error) => logger?.debug({ reason: err.message }, 'closing connection for recovery failed'));
}

/** How long one closing step (cancel, channel close, connection close) may take when stopping. */
export const CLOSE_STEP_MS = 3000;
