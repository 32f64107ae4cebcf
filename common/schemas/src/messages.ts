import { z } from 'zod';
import { safeName } from './names.js';

/**
 * The messages a poller publishes and a storage consumes (wire format version 1).
 * Defined once here; the publisher validates before spooling, the consumer validates
 * before writing. Unknown = null, never NaN or the munin "U" string.
 */
export const MESSAGE_VERSION = 1;

export const LIMITS = {
  /** Bytes of one encoded message; RabbitMQ's own default maximum is 16 MiB. */
  maxMessageBytes: 1024 * 1024,
  /** Nesting depth of the JSON body; our shapes need 5. */
  maxJsonDepth: 8,
  maxPointsPerMessage: 2000,
  maxValuesPerPoint: 1000,
  maxFieldsPerPlugin: 1000,
  maxTextLength: 4096,
} as const;

/** 2000-01-01 .. 2100-01-01: anything outside is a unit mistake (milliseconds) or a broken clock. */
export const MIN_TIMESTAMP = 946_684_800;
export const MAX_TIMESTAMP = 4_102_444_800;

export const timestampSeconds = z
  .number({ invalid_type_error: 'timestamp must be a number of seconds since the epoch' })
  .int('timestamp must be whole seconds')
  .superRefine((ts, ctx) => {
    if (ts / 1000 >= MIN_TIMESTAMP && ts / 1000 <= MAX_TIMESTAMP) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `timestamp ${ts} looks like milliseconds; send seconds` });
    } else if (ts < MIN_TIMESTAMP || ts > MAX_TIMESTAMP) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `timestamp ${ts} is outside 2000-01-01..2100-01-01` });
    }
  });

const text = (max: number = LIMITS.maxTextLength) => z.string().max(max, `text longer than ${max} characters`);

export const FieldType = z.enum(['GAUGE', 'DERIVE', 'COUNTER', 'ABSOLUTE']);
export type FieldType = z.infer<typeof FieldType>;

/** munin's draw styles: LINE0-3, AREA, STACK, AREASTACK, LINESTACK0-3. */
export const Draw = z.string().regex(/^(LINE[0-3]?|AREA|STACK|AREASTACK|LINESTACK[0-3]?)$/, 'unknown draw style');

/** Per data source attributes, as munin's `<field>.<attribute>` config lines. */
export const FieldInfo = z
  .object({
    label: text(256),
    type: FieldType.default('GAUGE'),
    draw: Draw.optional(),
    colour: z
      .string()
      .regex(/^[0-9A-Fa-f]{6}$/, 'colour must be 6 hex digits')
      .optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    cdef: text(1024).optional(),
    negative: safeName.optional(),
    graph: z.boolean().optional(),
    warning: text(64).optional(),
    critical: text(64).optional(),
    info: text().optional(),
    /** Every other munin attribute, verbatim (line, stack, sum, extinfo, ...). */
    extra: z.record(text(64), text(1024)).optional(),
  })
  .strict();
export type FieldInfo = z.infer<typeof FieldInfo>;

const boundedRecord = <T extends z.ZodTypeAny>(value: T, max: number, what: string) =>
  z.record(safeName, value).refine((r) => Object.keys(r).length <= max, `more than ${max} ${what}`);

export const HostInfoMessage = z
  .object({
    v: z.literal(MESSAGE_VERSION),
    kind: z.literal('host'),
    hostId: safeName,
    timestamp: timestampSeconds,
    name: text(256),
    description: text().default(''),
    agentVersion: text(64).default(''),
    /** The host's group where it comes from (a Munin group: `example.com`, `dc1;web`). */
    group: text(256).optional(),
  })
  .strict();
export type HostInfoMessage = z.infer<typeof HostInfoMessage>;

export const PluginInfoMessage = z
  .object({
    v: z.literal(MESSAGE_VERSION),
    kind: z.literal('info'),
    hostId: safeName,
    plugin: safeName,
    timestamp: timestampSeconds,
    title: text(256),
    vlabel: text(256).default(''),
    base: z.union([z.literal(1000), z.literal(1024)]).default(1000),
    category: text(64).default('other'),
    order: z.array(safeName).max(LIMITS.maxFieldsPerPlugin).default([]),
    info: text().default(''),
    /** graph_args, graph_period, graph_scale... verbatim, without the `graph_` prefix. */
    graph: z.record(text(64), text(1024)).optional(),
    fields: boundedRecord(FieldInfo, LIMITS.maxFieldsPerPlugin, 'data sources'),
  })
  .strict();
export type PluginInfoMessage = z.infer<typeof PluginInfoMessage>;

export const DataPoint = z
  .object({
    plugin: safeName,
    timestamp: timestampSeconds,
    values: boundedRecord(z.number().finite().nullable(), LIMITS.maxValuesPerPoint, 'values'),
  })
  .strict();
export type DataPoint = z.infer<typeof DataPoint>;

export const DataMessage = z
  .object({
    v: z.literal(MESSAGE_VERSION),
    kind: z.literal('data'),
    hostId: safeName,
    points: z.array(DataPoint).min(1).max(LIMITS.maxPointsPerMessage),
  })
  .strict();
export type DataMessage = z.infer<typeof DataMessage>;

export const Message = z.discriminatedUnion('kind', [HostInfoMessage, PluginInfoMessage, DataMessage]);
export type Message = z.infer<typeof Message>;
/** What a producer may write before defaults are applied (e.g. `description` omitted). */
export type MessageInput = z.input<typeof Message>;
export type MessageKind = Message['kind'];
