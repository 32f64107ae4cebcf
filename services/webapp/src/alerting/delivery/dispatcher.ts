import type { Pool } from 'mysql2/promise';
import {
  type Clock,
  type Component,
  type Deadline,
  FORCE_CLOSE_MS,
  Lifecycle,
  type Stats,
  settleWithin,
  systemClock,
  type TimerHandle,
} from '../../../../../common/lifecycle/index.js';
import type { Logger } from '../../../../../common/logging/index.js';
import { AlertNotification, ContactSettings } from '../../../../../common/schemas/src/alerts.js';
import type { DeliveryConfig, SmtpConfig } from './config.js';
import { errorText, OutboxError, SendError, SendTimeoutError } from './errors.js';
import { type ClaimedRow, type ContactRow, Outbox } from './outbox.js';
import { retryDecision } from './retry-policy.js';
import { createSenders, type Senders } from './senders/index.js';
import { type ActiveSilence, matchingSilence } from './silences.js';

export interface DispatcherDeps {
  pool: Pool;
  config: { delivery: DeliveryConfig; smtp: SmtpConfig };
  logger: Logger;
  clock?: Clock;
  /** In [0, 1): the backoff's jitter. */
  random?: () => number;
  /** Replaces the sender of some kinds (tests). */
  senders?: Partial<Senders>;
}

/** The reason a send is cut short by stop(): its row goes back to pending, not counted as the contact's failure. */
class DispatcherStopping extends Error {
  constructor() {
    super('the dispatcher is stopping');
    this.name = 'DispatcherStopping';
  }
}

interface InFlight {
  contactId: number;
  controller: AbortController;
  done: Promise<void>;
}

/** A claimed row turned into what to do with it. */
type Plan =
  | { kind: 'send'; notification: AlertNotification; contact: ContactRow; settings: ContactSettings }
  | { kind: 'silence'; silenceId: number }
  | { kind: 'fail'; why: string; contact?: ContactRow };

/**
 * Sends the outbox: claims due rows with a lease, checks silences at send time, sends each
 * through its contact's kind with a timeout and at most `per_contact_concurrency` sends per
 * contact (a slow or failing contact holds its own slots only), and records the outcome on
 * the row and the contact. Polls every `poll_interval_ms`, and at once when a send ends
 * while more rows are waiting.
 */
export class NotificationDispatcher implements Component {
  readonly name = 'notification-dispatcher';
  private readonly lifecycle: Lifecycle;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly outbox: Outbox;
  private readonly senders: Senders;
  private readonly delivery: DeliveryConfig;
  private running = false;
  private timer?: TimerHandle;
  private pass?: Promise<void>;
  private passAgain = false;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly perContact = new Map<number, number>();
  private readonly counters = { claimed: 0, sent: 0, retried: 0, failed: 0, silenced: 0, outbox_errors: 0 };

  constructor(private readonly deps: DispatcherDeps) {
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.outbox = new Outbox(deps.pool);
    this.delivery = deps.config.delivery;
    this.senders = { ...createSenders(deps.config), ...deps.senders };
    this.lifecycle = new Lifecycle({ start: () => this.open(), stop: (deadline) => this.close(deadline) }, { clock: this.clock });
  }

  start(): Promise<void> {
    return this.lifecycle.start();
  }

  stop(deadline?: number | Deadline): Promise<void> {
    return this.lifecycle.stop(deadline);
  }

  /** Counters since the process started; `in_flight` is a gauge. */
  stats(): Stats {
    return { ...this.counters, in_flight: this.inFlight.size };
  }

  private async open(): Promise<void> {
    await this.outbox.check();
    this.running = true;
    this.schedule(0);
  }

  private async close(deadline: Deadline): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pass) await settleWithin(this.pass, deadline);
    const sends = () => Promise.all([...this.inFlight.values()].map((f) => f.done));
    if (await settleWithin(sends(), deadline)) return;
    // Out of time: cut the sends short; their rows are given back to pending for the next process.
    for (const f of this.inFlight.values()) f.controller.abort(new DispatcherStopping());
    await settleWithin(sends(), deadline.extendedTo(FORCE_CLOSE_MS));
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.runPass();
    }, ms);
  }

  /** One claim at a time; a wake-up during it asks for another right after. */
  private runPass(): void {
    if (this.pass) {
      this.passAgain = true;
      return;
    }
    this.pass = this.claimAndSend()
      .catch((error) => {
        this.counters.outbox_errors++;
        this.deps.logger.error({ err: error }, 'alert delivery: cannot read the outbox; trying again at the next poll');
        return false;
      })
      .then((more) => {
        this.pass = undefined;
        const again = more || this.passAgain;
        this.passAgain = false;
        this.schedule(again ? 0 : this.delivery.poll_interval_ms);
      });
  }

  /** Claims what can be sent now and starts it; true when more rows may be due at once. */
  private async claimAndSend(): Promise<boolean> {
    const free = this.delivery.max_in_flight - this.inFlight.size;
    if (free <= 0) return false;
    const nowMs = this.clock.nowMs();
    const claim = await this.outbox
      .claim({
        nowMs,
        leaseUntilMs: nowMs + this.delivery.lease_ms,
        limit: this.delivery.batch_size,
        take: free,
        freeSlotsOf: (contactId) => this.delivery.per_contact_concurrency - (this.perContact.get(contactId) ?? 0),
      })
      .catch((cause) => {
        throw new OutboxError('claiming due notifications failed', { cause });
      });
    if (claim.rows.length === 0) return false;
    this.counters.claimed += claim.rows.length;
    const [contacts, silences] = await Promise.all([
      this.outbox.contacts(claim.rows.map((r) => r.contactId)),
      this.outbox.activeSilences(nowMs),
    ]).catch(async (cause) => {
      await this.outbox.releaseLeases(claim.rows.map((r) => r.id)).catch(() => {});
      throw new OutboxError('reading contacts and silences failed', { cause });
    });
    for (const row of claim.rows) this.launch(row, contacts.get(row.contactId), silences);
    return claim.seen >= this.delivery.batch_size && claim.rows.length === claim.seen && this.running;
  }

  private launch(row: ClaimedRow, contact: ContactRow | undefined, silences: ActiveSilence[]): void {
    const controller = new AbortController();
    this.perContact.set(row.contactId, (this.perContact.get(row.contactId) ?? 0) + 1);
    const done = this.deliver(row, planOf(row, contact, silences), controller)
      .catch((error) => {
        this.counters.outbox_errors++;
        this.deps.logger.error(
          { err: error, notification: row.id },
          'alert delivery: cannot record an outcome; the lease will expire and it is retried',
        );
      })
      .finally(() => {
        this.inFlight.delete(row.id);
        const left = (this.perContact.get(row.contactId) ?? 1) - 1;
        if (left > 0) this.perContact.set(row.contactId, left);
        else this.perContact.delete(row.contactId);
        if (this.running) this.schedule(0);
      });
    this.inFlight.set(row.id, { contactId: row.contactId, controller, done });
  }

  private async deliver(row: ClaimedRow, plan: Plan, controller: AbortController): Promise<void> {
    if (plan.kind === 'silence') {
      this.counters.silenced++;
      await this.outbox.markSilenced(row.id, plan.silenceId);
      return;
    }
    if (plan.kind === 'fail') {
      await this.giveUp(row, plan.why, false, plan.contact);
      return;
    }
    try {
      await this.sendWithin(plan, controller);
    } catch (error) {
      if (controller.signal.reason instanceof DispatcherStopping) {
        await this.outbox.releaseLeases([row.id]);
        return;
      }
      await this.failed(row, plan.contact, error);
      return;
    }
    const nowMs = this.clock.nowMs();
    this.counters.sent++;
    await this.outbox.markSent(row.id, nowMs);
    await this.outbox.contactSucceeded(plan.contact.id, nowMs);
  }

  /** The send, or its timeout: a sender that ignores the abort is not waited for. */
  private async sendWithin(plan: Extract<Plan, { kind: 'send' }>, controller: AbortController): Promise<void> {
    const timeoutMs = this.delivery.send_timeout_ms;
    const timer = this.clock.setTimeout(() => controller.abort(new SendTimeoutError(timeoutMs)), timeoutMs);
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => reject(controller.signal.reason);
      if (controller.signal.aborted) onAbort();
      else controller.signal.addEventListener('abort', onAbort, { once: true });
    });
    const sending = this.senders[plan.settings.kind](plan.notification, plan.settings, controller.signal);
    sending.catch(() => {}); // settled later than the race: its error was the timeout's
    aborted.catch(() => {});
    try {
      await Promise.race([sending, aborted]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async failed(row: ClaimedRow, contact: ContactRow, error: unknown): Promise<void> {
    const attempts = row.attempts + 1;
    const nowMs = this.clock.nowMs();
    const permanent = error instanceof SendError && error.permanent;
    const decision = retryDecision(this.delivery, { attempts, createdAtMs: row.createdAtMs, nowMs, permanent }, this.random);
    const text = errorText(error);
    await this.outbox.contactFailed(contact.id, text, nowMs);
    if (!decision.retry) {
      await this.giveUp(row, `${text} (${decision.why})`, true);
      return;
    }
    this.counters.retried++;
    this.deps.logger.warn({ contact: contact.name, notification: row.id, attempts, err: error }, 'alert delivery failed; retrying later');
    await this.outbox.reschedule(row.id, decision.atMs, text);
  }

  private async giveUp(row: ClaimedRow, why: string, counted: boolean, contact?: ContactRow): Promise<void> {
    this.counters.failed++;
    this.deps.logger.error({ contact: contact?.name, notification: row.id }, `alert notification not delivered: ${why}`);
    if (contact) await this.outbox.contactFailed(contact.id, why.slice(0, 1000), this.clock.nowMs());
    await this.outbox.markFailed(row.id, why.slice(0, 1000), counted);
  }
}

/** What to do with a claimed row, from what it holds: one bad row or contact fails alone. */
function planOf(row: ClaimedRow, contact: ContactRow | undefined, silences: ActiveSilence[]): Plan {
  const notification = AlertNotification.safeParse(jsonOf(row.payload));
  if (!notification.success) return { kind: 'fail', why: `payload is not a notification: ${notification.error.issues[0]?.message}` };
  if (!contact) return { kind: 'fail', why: `contact ${row.contactId} does not exist` };
  if (!contact.enabled) return { kind: 'fail', why: `contact ${contact.name} is disabled`, contact: undefined };
  const settings = ContactSettings.safeParse(jsonOf(contact.settings));
  if (!settings.success || settings.data.kind !== contact.kind) {
    const problem = settings.success ? `settings are of kind ${settings.data.kind}` : settings.error.issues[0]?.message;
    return { kind: 'fail', why: `contact ${contact.name} (${contact.kind}) cannot be used: ${problem}`, contact };
  }
  const silence = matchingSilence(notification.data, silences);
  if (silence) return { kind: 'silence', silenceId: silence.id };
  return { kind: 'send', notification: notification.data, contact, settings: settings.data };
}

/** JSON columns arrive as text from MariaDB (JSON is LONGTEXT there), as objects from MySQL. */
function jsonOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

export function createNotificationDispatcher(deps: DispatcherDeps): NotificationDispatcher {
  return new NotificationDispatcher(deps);
}
