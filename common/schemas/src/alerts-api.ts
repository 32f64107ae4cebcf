import { z } from 'zod';
import { AlertRuleInput, AlertState, ContactKind, ContactSettings, RuleKey } from './alerts.js';

/**
 * REST shapes of the webapp's alerting API (`/rest/alerts/...`, docs/api.md), used by the server
 * to validate bodies and build answers and by the browser client. snake_case as the rest of the
 * webapp API; times are ISO 8601 strings.
 */

const id = z.number().int().positive().max(2_147_483_647);
const time = z.string();
const comment = z.string().max(1024).default('');

/** One (rule, series) state, with what the pages need to link it to its host and graph. */
/** The rule and series every state and history row names, with its webapp host. */
const ruleSeriesOut = {
  rule_key: RuleKey,
  rule_name: z.string(),
  hostid: z.string(),
  /** The webapp host (`/hosts/<id>`), null when the host is not in the webapp. */
  host: id.nullable(),
  host_name: z.string(),
  plugin: z.string(),
  field: z.string(),
};

export const AlertStateOut = z.object({
  id: z.number().int().positive(),
  ...ruleSeriesOut,
  state: AlertState,
  since: time,
  value: z.number().nullable(),
  last_point_at: time.nullable(),
  reason: z.string(),
  flapping: z.boolean(),
  acked_by: z.string().nullable(),
  acked_at: time.nullable(),
  ack_comment: z.string().nullable(),
  /** Active silences that match this state (ids). */
  silenced_by: z.array(id),
});
export type AlertStateOut = z.infer<typeof AlertStateOut>;

export const AlertHistoryOut = z.object({
  id: z.number().int().positive(),
  /** null once the state is gone (its rule or host removed): the history stays. */
  state_id: z.number().int().positive().nullable(),
  ...ruleSeriesOut,
  previous: AlertState,
  state: AlertState,
  at: time,
  value: z.number().nullable(),
  reason: z.string(),
});
export type AlertHistoryOut = z.infer<typeof AlertHistoryOut>;

/** `/rest/alerts/states?host=<id>&plugin=<name>` (a plugin graph) or `?view=<id>` (a view graph). */
export const AlertStatesQuery = z
  .object({
    host: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    plugin: z.string().min(1).max(200).optional(),
    view: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  })
  .strict()
  .refine((q) => (q.view !== undefined) !== (q.host !== undefined && q.plugin !== undefined), 'give host and plugin, or view');

/** A state on a graph: `label` is the graph's series name (the field, or a view's `host - plugin - ds`). */
export const GraphAlertState = z.object({
  label: z.string(),
  rule_key: RuleKey,
  rule_name: z.string(),
  state: AlertState,
  since: time,
  reason: z.string(),
});
export type GraphAlertState = z.infer<typeof GraphAlertState>;
export const GraphAlertStates = z.object({ results: z.array(GraphAlertState) });
export type GraphAlertStates = z.infer<typeof GraphAlertStates>;

export const AlertHistoryQuery = z
  .object({
    host: z.coerce.number().int().positive().max(2_147_483_647).optional(),
    rule: RuleKey.optional(),
    page: z.coerce.number().int().positive().max(1_000_000).default(1),
    page_size: z.coerce.number().int().positive().max(1000).default(50),
  })
  .strict();

export const ProblemsQuery = z
  .object({
    page: z.coerce.number().int().positive().max(1_000_000).default(1),
    page_size: z.coerce.number().int().positive().max(1000).default(50),
    /** Substring of host, plugin, field or reason. */
    q: z.string().max(200).default(''),
  })
  .strict();

export const AckIn = z.object({ comment }).strict();

// ---- rules ----
export const AlertRuleOut = z.object({
  id,
  key: RuleKey,
  name: z.string(),
  enabled: z.boolean(),
  definition: AlertRuleInput,
  created_by: z.string().nullable(),
  created_at: time,
  updated_at: time,
});
export type AlertRuleOut = z.infer<typeof AlertRuleOut>;

// ---- contacts ----
export const ContactIn = z
  .object({
    name: z.string().trim().min(1).max(200),
    enabled: z.boolean().default(true),
    settings: ContactSettings,
    /** The group whose hosts' alerts it gets; with neither group nor user it gets every alert. */
    group: id.nullable().default(null),
    /** The user whose subscriptions it follows. */
    user: id.nullable().default(null),
    min_state: z.enum(['UNKNOWN', 'WARNING', 'CRITICAL']).default('WARNING'),
  })
  .strict()
  .refine((c) => c.group === null || c.user === null, { message: 'a contact belongs to a group or a user, not both', path: ['user'] });
export type ContactIn = z.infer<typeof ContactIn>;

export const ContactOut = z.object({
  id,
  name: z.string(),
  kind: ContactKind,
  enabled: z.boolean(),
  settings: ContactSettings,
  group: id.nullable(),
  user: id.nullable(),
  min_state: z.enum(['UNKNOWN', 'WARNING', 'CRITICAL']),
  last_success_at: time.nullable(),
  last_error: z.string().nullable(),
  last_error_at: time.nullable(),
  /** Set while the last deliveries failed: the webapp shows the contact as failing. */
  failing_since: time.nullable(),
  failing: z.boolean(),
});
export type ContactOut = z.infer<typeof ContactOut>;

// ---- silences ----
const optionalName = z.string().trim().min(1).max(200).nullable().default(null);
export const SilenceIn = z
  .object({
    rule_key: RuleKey.nullable().default(null),
    /** A host ID glob (`web*`); non-superusers name one host they may see, without wildcards. */
    host_glob: z.string().trim().min(1).max(300).nullable().default(null),
    plugin: optionalName,
    field: optionalName,
    /** Defaults to now. */
    starts_at: z.coerce.date().optional(),
    ends_at: z.coerce.date(),
    comment,
  })
  .strict()
  .refine((s) => s.rule_key !== null || s.host_glob !== null || s.plugin !== null || s.field !== null, {
    message: 'a silence needs a rule, host, plugin or field to match',
    path: ['host_glob'],
  });
export type SilenceIn = z.infer<typeof SilenceIn>;

export const SilenceOut = z.object({
  id,
  rule_key: RuleKey.nullable(),
  host_glob: z.string().nullable(),
  plugin: z.string().nullable(),
  field: z.string().nullable(),
  starts_at: time,
  ends_at: time,
  comment: z.string(),
  created_by: z.string().nullable(),
  created_at: time,
  active: z.boolean(),
});
export type SilenceOut = z.infer<typeof SilenceOut>;

export const SilencesQuery = z
  .object({
    /** `active` (default): not ended yet; `all`: also the ended ones, newest first. */
    status: z.enum(['active', 'all']).default('active'),
    page: z.coerce.number().int().positive().max(1_000_000).default(1),
    page_size: z.coerce.number().int().positive().max(1000).default(50),
  })
  .strict();

// ---- subscriptions ----
export const SubscriptionOut = z.object({ host: id, host_name: z.string(), hostid: z.string() });
export type SubscriptionOut = z.infer<typeof SubscriptionOut>;
