import { z } from 'zod';
import { safeName } from './names.js';

/**
 * Alerting shapes, defined once: rules as stored (MariaDB JSON columns, validated on read
 * and on write), the notification every contact is sent (the webhook body), and the REST
 * shapes the webapp serves. See docs/alerting.md.
 */

/** Worst last: the order of `ALERT_STATES` is the severity order used to sort problems. */
export const ALERT_STATES = ['OK', 'UNKNOWN', 'WARNING', 'CRITICAL'] as const;
export const AlertState = z.enum(ALERT_STATES);
export type AlertState = z.infer<typeof AlertState>;

/** The states a rule's level can raise. */
export const AlertLevel = z.enum(['WARNING', 'CRITICAL']);
export type AlertLevel = z.infer<typeof AlertLevel>;

export function severityOf(state: AlertState): number {
  return ALERT_STATES.indexOf(state);
}

const finite = z.number().finite();

/**
 * One level's condition. `outside` is munin's `min:max` range (alarm when the value is
 * below min or above max; either bound may be absent, as in `:max` and `min:`). `nodata`
 * holds when the series had no non-null point for `minutes`.
 */
export const AlertCondition = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('above'), value: finite }).strict(),
    z.object({ kind: z.literal('below'), value: finite }).strict(),
    z.object({ kind: z.literal('outside'), min: finite.optional(), max: finite.optional() }).strict(),
    z
      .object({
        kind: z.literal('nodata'),
        minutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60),
      })
      .strict(),
  ])
  .superRefine((c, ctx) => {
    if (c.kind !== 'outside') return;
    if (c.min === undefined && c.max === undefined)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'an outside range needs min or max' });
    else if (c.min !== undefined && c.max !== undefined && c.min > c.max)
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'range min is above max' });
  });
export type AlertCondition = z.infer<typeof AlertCondition>;

/** Globs over names: `*`, `?`, `[...]`, `{a,b}`, as Graphite's; at most 200 characters. */
const glob = z.string().min(1).max(200);

/** What a user rule watches. A munin threshold or a view threshold is not a stored rule. */
export const AlertTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('source'), hostId: safeName, plugin: safeName, field: safeName }).strict(),
  /** Every series of a view (webapp `views.id`), as it is at evaluation time. */
  z.object({ kind: z.literal('view'), viewId: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal('pattern'), hostGlob: glob, pluginGlob: glob, fieldGlob: glob }).strict(),
]);
export type AlertTarget = z.infer<typeof AlertTarget>;

/** How long a condition must hold before the state changes: N consecutive points, or a duration. */
export const AlertHold = z
  .object({
    points: z.number().int().min(1).max(1000).default(1),
    seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(0),
  })
  .strict();
export type AlertHold = z.infer<typeof AlertHold>;

/** A rule as users write it (REST body and the `alert_rules` row's content). */
export const AlertRuleInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    enabled: z.boolean().default(true),
    target: AlertTarget,
    warning: AlertCondition.nullable().default(null),
    critical: AlertCondition.nullable().default(null),
    hold: AlertHold.default({}),
    /** Notify again every this many minutes while not OK; 0 = only on changes. */
    repeatMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(0),
    comment: z.string().max(4096).default(''),
  })
  .strict()
  .refine((r) => r.warning !== null || r.critical !== null, 'a rule needs a warning or a critical condition');
export type AlertRuleInput = z.infer<typeof AlertRuleInput>;

/**
 * Which rule a state belongs to: `rule:<id>` (a user rule), `munin` (the field's own
 * warning/critical from its plugin info or munin.conf), `view:<id>` (a view's thresholds).
 */
export const RuleKey = z.string().regex(/^(munin|rule:[1-9][0-9]{0,9}|view:[1-9][0-9]{0,9})$/, 'unknown rule key');
export type RuleKey = z.infer<typeof RuleKey>;

/** One series under one rule. */
export const AlertSeries = z.object({ hostId: safeName, plugin: safeName, field: safeName }).strict();
export type AlertSeries = z.infer<typeof AlertSeries>;

/**
 * What every contact is sent, once per state change (and per repeat): the JSON body of a
 * plain webhook; the mail, Slack, Alertmanager and command forms are made from it.
 * `id` is stable across retries so receivers can drop duplicates (delivery is at least once).
 */
export const AlertNotification = z
  .object({
    id: z.string().min(1).max(100),
    ruleKey: RuleKey,
    ruleName: z.string().max(200),
    series: AlertSeries,
    hostName: z.string().max(256),
    previous: AlertState,
    state: AlertState,
    /** Seconds since the epoch of the change. */
    changedAt: z.number().int(),
    value: z.number().finite().nullable(),
    /** Why, in words: `value 93.2 above critical 90 for 3 points`. */
    reason: z.string().max(1024),
    repeat: z.boolean().default(false),
    /** Link to the graph in the webapp (absolute when `[web] public_url` is set). */
    url: z.string().max(2048).default(''),
  })
  .strict();
export type AlertNotification = z.infer<typeof AlertNotification>;

export const ContactKind = z.enum(['email', 'webhook', 'slack', 'alertmanager', 'command']);
export type ContactKind = z.infer<typeof ContactKind>;

/** Settings per contact kind (the `contacts.settings` JSON column). */
export const ContactSettings = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('email'), to: z.array(z.string().email().max(254)).min(1).max(50) }).strict(),
  z.object({ kind: z.literal('webhook'), url: z.string().url().max(2048) }).strict(),
  /** Slack or Mattermost incoming webhook: `{text, attachments}` body. */
  z.object({ kind: z.literal('slack'), url: z.string().url().max(2048), channel: z.string().max(100).optional() }).strict(),
  /** Alertmanager's base URL (`http://am:9093`); alerts go to its `/api/v2/alerts`. */
  z.object({ kind: z.literal('alertmanager'), url: z.string().url().max(2048) }).strict(),
  /**
   * A program and its arguments (no shell), fed the text on stdin, as munin's `contact.X.command`.
   * Arguments and `text` may hold munin's `${var:NAME}` variables (host, plugin, field, worst...),
   * each expanded into its argument only; `text` replaces the default stdin text.
   */
  z
    .object({
      kind: z.literal('command'),
      argv: z.array(z.string().min(1).max(4096)).min(1).max(64),
      text: z.string().max(8192).optional(),
    })
    .strict(),
]);
export type ContactSettings = z.infer<typeof ContactSettings>;
