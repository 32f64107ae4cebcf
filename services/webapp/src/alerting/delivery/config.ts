import { z } from 'zod';
import { iniBool, iniEnum, iniInt, iniString } from '../../../../../common/config/index.js';
import { parseDestinations } from './destinations.js';

/**
 * The `[smtp]` and `[delivery]` sections of numeter_webapp.cfg, defined here beside the code
 * that reads them and included in the webapp's one config schema (config.ts). Every time is
 * in milliseconds (the key says so) so tests and installations use the same keys.
 */
export const SmtpSection = z
  .object({
    /** The relay every mail goes through. */
    host: iniString('127.0.0.1', { emptyMeansDefault: true }),
    port: iniInt(25, 1, 65535),
    /** TLS from the first byte (SMTPS, usually port 465). */
    tls: iniBool(false),
    /** STARTTLS on a plain connection: `auto` when offered, `require` or fail, `never`. */
    starttls: iniEnum('auto', ['auto', 'require', 'never']),
    /** Refuse a relay whose certificate does not verify (off only for a private relay with a self-signed one). */
    tls_verify: iniBool(true),
    /** Authentication, when `user` is set (PLAIN/LOGIN as the relay offers). */
    user: iniString(''),
    password: iniString(''),
    from: iniString('numeter@localhost', { emptyMeansDefault: true }),
    /** Put before every subject, as munin's `Munin ...` subjects. */
    subject_prefix: iniString('[numeter]'),
  })
  .default({});
export type SmtpConfig = z.output<typeof SmtpSection>;

export const DeliverySection = z
  .object({
    /** How often due notifications are looked for (sooner when a send ends and more are waiting). */
    poll_interval_ms: iniInt(1000, 10, 600_000),
    /** How long a claimed notification is ours; another process takes it over after (a crashed sender). */
    lease_ms: iniInt(120_000, 1000, 86_400_000),
    /** One send (connect, write, answer) at most; then it counts as a failure. */
    send_timeout_ms: iniInt(15_000, 100, 600_000),
    /** First retry delay; doubled at each failure up to `backoff_max_ms`, with jitter (half of it random). */
    backoff_initial_ms: iniInt(5000, 10, 86_400_000),
    backoff_max_ms: iniInt(600_000, 10, 86_400_000),
    /** Sends of one notification before it is marked failed. */
    max_attempts: iniInt(10, 1, 1000),
    /** A notification older than this is marked failed instead of retried. */
    max_age_ms: iniInt(86_400_000, 1000, 30 * 86_400_000),
    /** Sends at once to one contact (the others are never held up by it). */
    per_contact_concurrency: iniInt(2, 1, 100),
    /** Sends at once in total. */
    max_in_flight: iniInt(32, 1, 1000),
    /** A firing alert sent to Alertmanager ends this long after the change unless numeter resolves it first (see formats.ts). */
    alertmanager_active_ms: iniInt(7 * 86_400_000, 60_000, 365 * 86_400_000),
    /** Notifications claimed per poll. */
    batch_size: iniInt(100, 1, 10_000),
    /**
     * Hosts non-superusers may point webhook, Slack and Alertmanager contacts at (destinations.ts):
     * `hooks.slack.com, *.example.org, am.example.org:9093`; empty = only superusers create them.
     */
    user_destinations: iniString('').refine(validDestinations, 'host names, *.domain or host:port, separated by commas'),
  })
  .default({})
  .superRefine((d, ctx) => {
    // A lease shorter than a send would let a second process send the same notification while the first still is.
    if (d.lease_ms < 2 * d.send_timeout_ms)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['lease_ms'], message: 'must be at least twice send_timeout_ms' });
    if (d.backoff_max_ms < d.backoff_initial_ms)
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['backoff_max_ms'], message: 'must not be below backoff_initial_ms' });
  });
export type DeliveryConfig = z.output<typeof DeliverySection>;

function validDestinations(text: string): boolean {
  try {
    parseDestinations(text);
    return true;
  } catch {
    return false;
  }
}
