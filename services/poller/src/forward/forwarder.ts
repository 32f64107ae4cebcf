import type { BusPublisher } from '../../../../common/bus/index.js';
import { BrokerUnavailableError, MessageNackedError, MessageUnroutableError, routingKeyForHost } from '../../../../common/bus/index.js';
import {
  type Clock,
  type Component,
  type Deadline,
  type DeadlineInput,
  Lifecycle,
  systemClock,
  waitUntil,
} from '../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../common/logging/index.js';
import { silentLogger } from '../../../../common/logging/index.js';
import type { Message } from '../../../../common/schemas/index.js';
import { type RecordRoute, routeOf, type Spool, type SpoolRecord } from '../spool/index.js';
import { RateMeter } from './rate.js';

export interface ForwarderOptions {
  spool: Spool;
  publisher: BusPublisher;
  /** Publishes awaiting a confirm at once. @defaultValue DEFAULT_FORWARD_WINDOW */
  window?: number;
  logger?: Logger;
  clock?: Clock;
  /** Backoff after a failed publish: first delay and cap (ms). Defaults 100 and 10000. */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

/** The `[global] forward_window` default: confirms come per broker fsync batch, so a window keeps the broker busy. */
export const DEFAULT_FORWARD_WINDOW = 100;

type EntryState = 'sending' | 'confirmed' | 'failed';

interface Entry {
  record: SpoolRecord;
  route: RecordRoute;
  state: EntryState;
  sentAt: number;
}

/**
 * Moves spooled messages to the broker, oldest first. Up to `window` publishes await their
 * confirms; the spool cursor advances over the confirmed prefix only. A failed publish
 * (broker down, nack, return) is retried with backoff, before anything newer, with the
 * window shrunk to one until a publish succeeds again: a refusal can let at most the
 * publishes already in flight overtake it, and a retry never races a newer message.
 */
export class Forwarder implements Component {
  readonly name = 'forward';
  private readonly lifecycle = new Lifecycle(
    { start: () => this.open(), stop: (deadline) => this.close(deadline) },
    { defaultStopMs: 5000 },
  );
  private readonly spool: Spool;
  private readonly publisher: BusPublisher;
  private readonly window: number;
  private readonly logger: Logger;
  private readonly nowMs: () => number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private running = false;
  private loop?: Promise<void>;
  /** Every entry read and not yet part of the confirmed prefix, in sequence order. */
  private entries: Entry[] = [];
  private retries: Entry[] = [];
  private buffered: SpoolRecord[] = [];
  private sending = 0;
  /** Bumped by stop(): settlements of an earlier run's publishes are ignored. */
  private generation = 0;
  private limit: number;
  private backoffMs = 0;
  private backoffUntil = 0;
  private backoffSetAt = 0;
  private degradedSince?: number;
  private kickSignal?: () => void;
  private waitingForData = false;
  private waitingForBroker = false;
  private readonly rate: RateMeter;
  private readonly counters = {
    published: 0,
    confirmed: 0,
    nacked: 0,
    returned: 0,
    unavailable: 0,
    retried: 0,
    unreadable: 0,
  };
  private confirmLatencyMs = 0;

  constructor(o: ForwarderOptions) {
    this.spool = o.spool;
    this.publisher = o.publisher;
    this.window = Math.max(1, o.window ?? DEFAULT_FORWARD_WINDOW);
    this.limit = this.window;
    this.logger = (o.logger ?? silentLogger()).child({ component: 'forwarder' });
    const clock = o.clock ?? systemClock;
    this.nowMs = () => clock.nowMs();
    this.retryInitialMs = o.retryInitialMs ?? 100;
    this.retryMaxMs = o.retryMaxMs ?? 10_000;
    this.rate = new RateMeter(this.nowMs);
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  /** Stops sending, waits until the deadline (5 s unless given) for outstanding confirms; the rest stays spooled. */
  stop(deadline?: DeadlineInput): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  private open(): void {
    this.running = true;
    this.entries = [];
    this.retries = [];
    this.buffered = [];
    this.spool.rewind();
    this.loop = this.run().catch((error: Error) => {
      this.running = false;
      this.logger.error({ reason: error.message }, 'forwarder stopped on an unexpected error');
    });
  }

  private async close(deadline: Deadline): Promise<void> {
    this.running = false;
    this.kick();
    await waitUntil(() => this.sending === 0, deadline, { intervalMs: 10 });
    await this.loop;
    // Publishes still unconfirmed belong to this run only: the next start() rewinds to the cursor.
    this.generation++;
    this.sending = 0;
  }

  stats(): Record<string, number> {
    return {
      ...this.counters,
      inFlight: this.sending,
      waitingRetry: this.retries.length,
      window: this.limit,
      replayRate: this.rate.perSecond(),
      confirmLatencyMs: Math.round(this.confirmLatencyMs),
      degraded: this.degradedSince === undefined ? 0 : 1,
    };
  }

  private async run(): Promise<void> {
    while (this.running) {
      const signal = new Promise<void>((resolve) => {
        this.kickSignal = resolve;
      });
      await this.fill();
      if (!this.running) break;
      await signal;
    }
  }

  private kick(): void {
    const wake = this.kickSignal;
    this.kickSignal = undefined;
    wake?.();
  }

  /** Sends while the window has room and there is something to send. */
  private async fill(): Promise<void> {
    while (this.running && this.sending < this.limit) {
      const wait = this.backoffUntil - this.nowMs();
      if (wait > 0) {
        setTimeout(() => this.kick(), wait).unref();
        return;
      }
      if (!this.publisher.connected) {
        this.waitForBroker();
        return;
      }
      const entry = this.retries.shift() ?? (await this.nextEntry());
      if (!entry) return;
      this.send(entry);
    }
  }

  private async nextEntry(): Promise<Entry | undefined> {
    // Confirmed entries held behind a failed one count too: memory stays bounded.
    if (this.entries.length >= this.window * 4) return undefined;
    while (this.buffered.length === 0) {
      this.buffered = await this.spool.read(Math.max(this.window, 64));
      if (this.buffered.length > 0) break;
      this.waitForData();
      return undefined;
    }
    const record = this.buffered.shift() as SpoolRecord;
    let route: RecordRoute;
    try {
      // Records carry their route since NMS2; an older one (spooled before an upgrade) is parsed for it.
      route = record.route ?? routeOf(JSON.parse(record.payload.toString('utf8')) as Message);
    } catch (error) {
      // Cannot happen for a CRC-checked record the spool validated; never block the rest on it.
      this.counters.unreadable++;
      this.logger.error({ seq: record.seq, reason: (error as Error).message }, 'unreadable spool record skipped');
      const skipped: Entry = { record, route: { kind: '', hostId: '', messageId: '' }, state: 'confirmed', sentAt: this.nowMs() };
      this.entries.push(skipped);
      this.advanceCursor();
      return this.nextEntry();
    }
    const entry: Entry = { record, route, state: 'sending', sentAt: 0 };
    this.entries.push(entry);
    return entry;
  }

  private send(entry: Entry): void {
    entry.state = 'sending';
    entry.sentAt = this.nowMs();
    this.sending++;
    this.counters.published++;
    const generation = this.generation;
    // The spooled bytes are the wire format, validated when they were appended: sent as they are.
    const { kind, hostId, messageId } = entry.route;
    this.publisher.publishRaw(routingKeyForHost(hostId), entry.record.payload, { messageId, type: kind }).then(
      () => generation === this.generation && this.onConfirmed(entry),
      (error: unknown) => generation === this.generation && this.onFailed(entry, error),
    );
  }

  private onConfirmed(entry: Entry): void {
    this.sending--;
    entry.state = 'confirmed';
    this.counters.confirmed++;
    this.rate.add(1);
    const latency = this.nowMs() - entry.sentAt;
    this.confirmLatencyMs = this.confirmLatencyMs === 0 ? latency : this.confirmLatencyMs * 0.9 + latency * 0.1;
    if (this.degradedSince !== undefined) {
      this.logger.info({ afterMs: this.nowMs() - this.degradedSince }, 'broker accepts messages again: replaying the spool');
      this.degradedSince = undefined;
    }
    this.limit = this.window;
    this.backoffMs = 0;
    this.backoffUntil = 0;
    this.backoffSetAt = 0;
    this.advanceCursor();
    this.kick();
  }

  private onFailed(entry: Entry, error: unknown): void {
    this.sending--;
    entry.state = 'failed';
    if (error instanceof MessageUnroutableError) this.counters.returned++;
    else if (error instanceof MessageNackedError) this.counters.nacked++;
    else if (error instanceof BrokerUnavailableError) this.counters.unavailable++;
    else this.logger.error({ reason: (error as Error)?.message }, 'unexpected publish failure');
    this.counters.retried++;
    insertBySeq(this.retries, entry);
    if (this.degradedSince === undefined) {
      this.degradedSince = this.nowMs();
      this.logger.warn(
        { reason: (error as Error)?.message, records: this.spool.stats().records },
        'publishing failed: keeping messages in the spool and retrying',
      );
    }
    this.limit = 1;
    // A burst of failures from one outage (the whole window) backs off one step, not one per message.
    if (entry.sentAt >= this.backoffSetAt) {
      this.backoffMs = Math.min(this.retryMaxMs, this.backoffMs === 0 ? this.retryInitialMs : this.backoffMs * 2);
      this.backoffSetAt = this.nowMs();
      this.backoffUntil = this.backoffSetAt + this.backoffMs;
    }
    this.kick();
  }

  /** Confirms the spool over the prefix of entries the broker confirmed. */
  private advanceCursor(): void {
    let count = 0;
    let lastSeq = -1;
    while (this.entries.length > 0 && this.entries[0].state === 'confirmed') {
      lastSeq = (this.entries.shift() as Entry).record.seq;
      count++;
    }
    if (count === 0) return;
    this.spool.confirmThrough(lastSeq, count).catch((error: Error) => this.logger.error({ reason: error.message }, 'spool confirm failed'));
  }

  private waitForData(): void {
    if (this.waitingForData) return;
    this.waitingForData = true;
    this.spool.waitForRecords().then(() => {
      this.waitingForData = false;
      this.kick();
    });
  }

  private waitForBroker(): void {
    if (this.waitingForBroker) return;
    this.waitingForBroker = true;
    this.publisher.whenConnected().then(() => {
      this.waitingForBroker = false;
      this.kick();
    });
  }
}

function insertBySeq(list: Entry[], entry: Entry): void {
  let i = list.length;
  while (i > 0 && list[i - 1].record.seq > entry.record.seq) i--;
  list.splice(i, 0, entry);
}
