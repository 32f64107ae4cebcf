import { z } from 'zod';
import { DataResponse, LegacyFieldInfo, LegacyPluginInfo, Resolution } from './storage-api.js';

/**
 * Shapes of the webapp REST API (`/rest/...`), shared by the server (which validates bodies and
 * builds responses with them) and the browser client. Field names follow the original Numeter
 * (Django REST framework 2.4) serializers: snake_case, relations as ids.
 */

/** Database ids are MariaDB INT: larger numbers name nothing. */
const id = z.number().int().positive().max(2_147_483_647);
/** Users and groups an object is shared with: a bound, so one request cannot insert a million rows. */
const shares = z.array(id).max(1000);
const name = (max: number) => z.string().trim().min(1).max(max);
const comment = z.string().max(10_000).default('');

/** Paginated list: `?page=` (1-based), `?page_size=` (default 20), `?q=` search. */
export function Page<T extends z.ZodTypeAny>(item: T) {
  return z.object({
    count: z.number().int().nonnegative(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });
}
export interface PageOf<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

const IdListParam = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v.join(',') : v))
  .refine((v) => /^\s*\d{1,10}\s*(,\s*\d{1,10}\s*)*$/.test(v), { message: 'a comma-separated list of positive integers' })
  .transform((v) => [...new Set(v.split(',').map(Number))])
  .refine((ids) => ids.every((n) => n > 0), { message: 'ids are positive integers' })
  .refine((ids) => ids.length <= 1000, { message: 'at most 1000 ids' });
export const ListQuery = z.object({
  page: z.coerce.number().int().positive().max(1_000_000).default(1),
  page_size: z.coerce.number().int().positive().max(1000).default(20),
  q: z.string().max(200).default(''),
  /** `?id=1,2,3` (or `?id=1&id=2`): only these objects, as the original DRF API. */
  id: IdListParam.optional(),
});
export type ListQuery = z.infer<typeof ListQuery>;

/** Every error body: `field` names the bad body field or query parameter when there is one. */
export const ApiError = z.object({ error: z.string(), field: z.string().optional(), storage: z.string().optional() });
export type ApiError = z.infer<typeof ApiError>;

// ---- groups and users ----
export const GroupOut = z.object({ id, name: z.string(), text: z.string(), url: z.string() });
export type GroupOut = z.infer<typeof GroupOut>;
export const GroupIn = z.object({ name: name(80) }).strict();

export const UserOut = z.object({
  id,
  username: z.string(),
  email: z.string(),
  is_superuser: z.boolean(),
  groups: z.array(id),
  graph_lib: z.string(),
  date_joined: z.string(),
  url: z.string(),
});
export type UserOut = z.infer<typeof UserOut>;
const username = z
  .string()
  .trim()
  .min(1)
  .max(150)
  .regex(/^[A-Za-z0-9_.@+-]+$/, 'letters, digits and _ . @ + - only');
const password = z.string().min(8, 'at least 8 characters').max(1024);
export const UserIn = z
  .object({
    username,
    email: z.string().email().or(z.literal('')).default(''),
    is_superuser: z.boolean().default(false),
    groups: shares.default([]),
    graph_lib: z.string().max(50).default('uplot'),
    password,
  })
  .strict();
export const UserPatch = UserIn.omit({ password: true }).partial().strict();
/** `current_password` is required when users change their own password (a stolen session alone cannot). */
export const SetPassword = z.object({ password, current_password: z.string().max(1024).optional() }).strict();

// ---- storages ----
export const StorageProtocol = z.enum(['http', 'https']);
export const StorageOut = z.object({
  id,
  name: z.string(),
  protocol: StorageProtocol,
  address: z.string(),
  port: z.number().int(),
  url_prefix: z.string(),
  login: z.string(),
  /** Secrets are never sent back; these say whether one is set. */
  has_password: z.boolean(),
  has_token: z.boolean(),
  url: z.string(),
});
export type StorageOut = z.infer<typeof StorageOut>;
export const StorageIn = z
  .object({
    name: name(100),
    protocol: StorageProtocol.default('http'),
    address: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9.:_\-[\]]+$/, 'a host name or IP address'),
    port: z.number().int().min(1).max(65535).default(8080),
    url_prefix: z
      .string()
      .max(100)
      .regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'empty or /path segments')
      .default('/numeter-storage'),
    login: z.string().max(100).default(''),
    password: z.string().max(200).default(''),
    token: z.string().max(500).default(''),
  })
  .strict();
export const StoragePatch = StorageIn.partial().strict();
/** Names to copy from a storage (empty: all it has); a storage name is at most 300 characters. */
const storageNames = z.array(z.string().max(300)).max(10_000);
export const CreateHostsIn = z.object({ hosts: storageNames.default([]) }).strict();

// ---- hosts, plugins, sources ----
export const HostOut = z.object({
  id,
  hostid: z.string(),
  name: z.string(),
  storage: id.nullable(),
  group: id.nullable(),
  url: z.string(),
});
export type HostOut = z.infer<typeof HostOut>;
export const HostIn = z.object({ hostid: z.string().min(1).max(300), group: id.nullable().optional() }).strict();
export const HostPatch = z
  .object({ name: name(200), storage: id.nullable(), group: id.nullable() })
  .partial()
  .strict();
export const CreatePluginsIn = z.object({ plugins: storageNames.default([]) }).strict();

export const PluginOut = z.object({ id, name: z.string(), host: id, comment: z.string(), url: z.string() });
export type PluginOut = z.infer<typeof PluginOut>;
export const PluginPatch = z.object({ comment }).partial().strict();
export const CreateSourcesIn = z.object({ sources: storageNames.default([]) }).strict();

export const SourceOut = z.object({ id, name: z.string(), plugin: id, comment: z.string(), text: z.string(), url: z.string() });
export type SourceOut = z.infer<typeof SourceOut>;
export const SourcePatch = z.object({ comment }).partial().strict();

// ---- views and multiviews ----
export const ViewOut = z.object({
  id,
  name: z.string(),
  comment: z.string(),
  warning: z.number().nullable(),
  critical: z.number().nullable(),
  /** Data sources in drawing order. */
  sources: z.array(id),
  /** The subset of `sources` drawn against the right y axis. */
  right_axis: z.array(id),
  users: z.array(id),
  groups: z.array(id),
  text: z.string(),
  url: z.string(),
});
export type ViewOut = z.infer<typeof ViewOut>;
export const ViewIn = z
  .object({
    name: name(250),
    comment,
    warning: z.number().finite().nullable().default(null),
    critical: z.number().finite().nullable().default(null),
    sources: z.array(id).max(200).default([]),
    right_axis: z.array(id).max(200).default([]),
    users: shares.default([]),
    groups: shares.default([]),
  })
  .strict();
export const ViewPatch = ViewIn.partial().strict();

export const MultiviewOut = z.object({
  id,
  name: z.string(),
  comment: z.string(),
  views: z.array(id),
  users: z.array(id),
  groups: z.array(id),
  text: z.string(),
  url: z.string(),
});
export type MultiviewOut = z.infer<typeof MultiviewOut>;
export const MultiviewIn = z
  .object({
    name: name(300),
    comment,
    views: z.array(id).max(200).default([]),
    users: shares.default([]),
    groups: shares.default([]),
  })
  .strict();
export const MultiviewPatch = MultiviewIn.partial().strict();

// ---- skeletons ----
const pattern = z
  .string()
  .max(100)
  .refine(
    (p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );
/**
 * One more plugin/source pattern of a skeleton. `fallback`: used on a host only when the parts
 * before it, back to the last non-fallback one, found nothing there (alternatives such as our
 * `system_load` or munin's `load`).
 */
export const SkeletonPart = z
  .object({
    plugin_pattern: pattern,
    source_pattern: pattern.default('.'),
    axis: z.enum(['left', 'right']).default('left'),
    fallback: z.boolean().default(false),
  })
  .strict();
export type SkeletonPart = z.infer<typeof SkeletonPart>;
export const SkeletonOut = z.object({
  id,
  name: z.string(),
  plugin_pattern: z.string(),
  source_pattern: z.string(),
  comment: z.string(),
  /** More plugin/source patterns after the main one (which is always on the left axis). */
  parts: z.array(SkeletonPart),
  /** `populate` builds this skeleton's view on every host where the main pattern matches. */
  populate: z.boolean(),
  url: z.string(),
});
export type SkeletonOut = z.infer<typeof SkeletonOut>;
export const SkeletonIn = z
  .object({
    name: name(255),
    plugin_pattern: pattern,
    source_pattern: pattern.default('.'),
    comment,
    parts: z.array(SkeletonPart).max(20).default([]),
    populate: z.boolean().default(false),
  })
  .strict();
export const SkeletonPatch = SkeletonIn.partial().strict();
/** `POST /rest/skeletons/:id/create_view`: one view over the given hosts (database ids). */
export const CreateViewIn = z.object({ hosts: z.array(id).min(1).max(1000), name: name(250).optional() }).strict();

// ---- events ----
export const EventOut = z.object({
  id,
  name: z.string(),
  short_text: z.string(),
  /** ISO 8601, UTC. */
  date: z.string(),
  comment: z.string(),
  hosts: z.array(id),
  url: z.string(),
});
export type EventOut = z.infer<typeof EventOut>;
export const EventIn = z
  .object({
    name: name(300),
    short_text: z.string().max(20).default(''),
    date: z.coerce.date().optional(),
    comment,
    hosts: z.array(id).max(1000).default([]),
  })
  .strict();
export const EventPatch = EventIn.partial().strict();

// ---- API tokens ----
export const TokenOut = z.object({
  id,
  name: z.string(),
  user: id,
  /** First characters of the token, to recognise it; the token itself is shown once. */
  prefix: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  url: z.string(),
});
export type TokenOut = z.infer<typeof TokenOut>;
export const TokenCreated = TokenOut.extend({ token: z.string() });
export type TokenCreated = z.infer<typeof TokenCreated>;
export const TokenIn = z.object({ name: name(100) }).strict();

// ---- session ----
export const SessionOut = z.object({
  user: z.object({ id, username: z.string(), is_superuser: z.boolean(), groups: z.array(id) }).nullable(),
  /** Send back as the `X-CSRF-Token` header (fetch) or the `_csrf` field (forms) on every unsafe request. */
  csrf_token: z.string(),
});
export type SessionOut = z.infer<typeof SessionOut>;
export const LoginIn = z.object({ username: z.string().min(1).max(150), password: z.string().min(1).max(1024) });

// ---- extended data (input of the graphs; the original shapes) ----
export const ExtendedDataQuery = z.object({
  res: Resolution.default('Daily'),
  from: z.coerce.number().int().optional(),
  until: z.coerce.number().int().optional(),
  maxDataPoints: z.coerce.number().int().positive().max(100_000).optional(),
});
export type ExtendedDataQuery = z.infer<typeof ExtendedDataQuery>;

/** `GET /rest/hosts/:id/plugin_extended_data/?plugin=&res=` */
export const PluginExtendedData = z.object({ name: z.string(), datas: DataResponse, infos: LegacyPluginInfo });
export type PluginExtendedData = z.infer<typeof PluginExtendedData>;

/** `GET /rest/sources/:id/extended_data/?res=` */
export const SourceExtendedData = z.object({
  colors: z.string(),
  name: z.string(),
  datas: DataResponse,
  infos: z.object({ Describ: z.string(), Plugin: z.string(), Title: z.string(), Infos: z.record(LegacyFieldInfo) }),
});
export type SourceExtendedData = z.infer<typeof SourceExtendedData>;

/** `GET /rest/views/:id/extended_data/?res=`: series keyed `<host> - <plugin> - <ds>`. */
export const ViewExtendedData = z.object({
  name: z.string(),
  type: z.literal('view'),
  id,
  source_ids: z.array(id),
  /** Series labels (keys of `datas.DATAS`) drawn against the right y axis. */
  right_axis: z.array(z.string()),
  warning: z.number().nullable(),
  critical: z.number().nullable(),
  infos: z.object({ Describ: z.string(), Plugin: z.string(), Title: z.string(), Infos: z.record(LegacyFieldInfo) }),
  datas: DataResponse,
  /** Sources whose storage could not be reached or had no data: label → message. */
  errors: z.record(z.string()),
});
export type ViewExtendedData = z.infer<typeof ViewExtendedData>;

// ---- pickers: the JSON behind the host picker and the view editor's lazy source tree ----
/**
 * `?q=` words (each must match the host name or ID, the plugin or the source: case-insensitive
 * substrings) and `?limit=`; every answer is bounded so no picker grows with the fleet.
 */
function pickerLimit(byDefault: number) {
  return z.coerce.number().int().positive().max(200).default(byDefault);
}
export const PickerQuery = z.object({
  q: z
    .string()
    .max(200)
    .default('')
    .transform((q) => q.trim().split(/\s+/).filter(Boolean))
    .refine((words) => words.length <= 5, { message: 'at most 5 words' }),
  limit: pickerLimit(50),
  /** The `next` of the previous page: where this page starts (hosts and sources are keyset-paged). */
  after: z
    .string()
    .max(2000)
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return undefined;
      const cursor = decodeCursor(raw);
      if (!cursor) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'not a cursor of this list' });
      return cursor ?? undefined;
    }),
});

/** `GET /picker/search?q=&sources=&hosts=`: how many sources and tree hosts one search answers. */
export const PickerSearchQuery = PickerQuery.pick({ q: true }).extend({ sources: pickerLimit(100), hosts: pickerLimit(100) });

/**
 * A position in a picker's order (host name, host id[, plugin, source]): the next page starts
 * after it. `s` absent: after the whole host; present: within the host, after that source. Sent
 * as base64url JSON, opaque to the pages.
 */
export const PickerCursor = z.object({
  h: z.tuple([z.string().max(300), id]),
  s: z.tuple([z.string().max(200), z.string().max(300)]).optional(),
});
export type PickerCursor = z.infer<typeof PickerCursor>;

export function encodeCursor(cursor: PickerCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string): PickerCursor | null {
  try {
    const parsed = PickerCursor.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
export const PickerHost = z.object({ id, name: z.string(), hostid: z.string() });
export type PickerHost = z.infer<typeof PickerHost>;
export const PickerPlugin = z.object({ id, name: z.string() });
export type PickerPlugin = z.infer<typeof PickerPlugin>;
/** `label` is "host - plugin - source", as the chosen list shows it. */
export const PickerSource = z.object({ id, name: z.string(), plugin: z.string(), host: z.string(), hostid: z.string(), label: z.string() });
export type PickerSource = z.infer<typeof PickerSource>;
/** A view the dashboard editor may add (`GET /picker/views`). */
export const PickerView = z.object({ id, name: z.string() });
export type PickerView = z.infer<typeof PickerView>;
/** A bounded answer: `truncated` when more matched than `limit`. */
export function PickerList<T extends z.ZodTypeAny>(item: T) {
  return z.object({ results: z.array(item), truncated: z.boolean() });
}
/** A bounded answer that can go on: `next` is the `after` of the following page (null: no more). */
export function PickerPage<T extends z.ZodTypeAny>(item: T) {
  return PickerList(item).extend({ next: z.string().nullable() });
}
/** `GET /picker/search`: the view editor's one request per search, the sources and the tree's hosts. */
export const PickerSearch = z.object({ sources: PickerPage(PickerSource), hosts: PickerPage(PickerHost) });
export type PickerSearch = z.infer<typeof PickerSearch>;
