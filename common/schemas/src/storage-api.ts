import { z } from 'zod';

/**
 * Shapes of the storage REST API (`/numeter-storage/...`). They keep the original
 * Numeter JSON shapes (capitalised keys, munin attributes as strings) so existing
 * clients keep working; the storage builds them, the webapp's storage client parses them.
 */

/** One data source in the original `Infos` map: munin attributes verbatim as strings. */
export const LegacyFieldInfo = z.object({ id: z.string() }).catchall(z.string());
export type LegacyFieldInfo = z.infer<typeof LegacyFieldInfo>;

/** `/info?host=&plugin=` and each value of `/list?host=`. */
export const LegacyPluginInfo = z
  .object({
    Plugin: z.string(),
    Title: z.string(),
    Describ: z.string().default(''),
    Vlabel: z.string().default(''),
    Base: z.string().default('1000'),
    Order: z.string().default(''),
    Category: z.string().optional(),
    /** Other graph_* attributes (args, period, scale...), keys without the prefix. */
    Graph: z.record(z.string()).optional(),
    Infos: z.record(LegacyFieldInfo),
  })
  .passthrough();
export type LegacyPluginInfo = z.infer<typeof LegacyPluginInfo>;

/** `/hinfo?host=` and each value of `/hosts`. */
export const LegacyHostInfo = z
  .object({
    Plugin: z.literal('MyInfo').default('MyInfo'),
    ID: z.string(),
    Name: z.string(),
    Description: z.string().default(''),
    hostIDHash: z.string().optional(),
    HostIDFiltredName: z.string().optional(),
    /** The Munin group of a host polled centrally (`[group;host]` in munin.conf). */
    Group: z.string().optional(),
  })
  .passthrough();
export type LegacyHostInfo = z.infer<typeof LegacyHostInfo>;

export const HostsResponse = z.record(LegacyHostInfo);
export const ListResponse = z.record(LegacyPluginInfo);
/** `/lists?hosts=a,b`: the `/list` of many hosts by host ID (an unknown host is left out). */
export const ListsResponse = z.record(ListResponse);
/** Host IDs one `/lists` request may name. */
export const MAX_HOSTS_PER_LISTS = 200;

export const Resolution = z.enum(['Hourly', 'Daily', 'Weekly', 'Monthly', 'Yearly']);
export type Resolution = z.infer<typeof Resolution>;

/** Look-back of each resolution, in seconds. */
export const RESOLUTION_SECONDS: Record<Resolution, number> = {
  Hourly: 3600,
  Daily: 86_400,
  Weekly: 7 * 86_400,
  Monthly: 31 * 86_400,
  Yearly: 366 * 86_400,
};

/** `/data?host=&plugin=&ds=&res=`: one TS_start/TS_step valid for every series. */
export const DataResponse = z.object({
  TS_start: z.number().int(),
  TS_step: z.number().int().positive(),
  DATAS: z.record(z.array(z.number().nullable())),
  /** Data sources that could not be read (absent from DATAS) → why. Only present when some failed. */
  ERRORS: z.record(z.string()).optional(),
});
export type DataResponse = z.infer<typeof DataResponse>;

/** Every 4xx/5xx body. `parameter` names the bad query parameter when there is one. */
export const ErrorResponse = z.object({ error: z.string(), parameter: z.string().optional() });
export type ErrorResponse = z.infer<typeof ErrorResponse>;

/** `/search?q=`: hosts, plugins and data sources whose name (or label) contains q. */
export const SearchResponse = z.object({
  hosts: z.array(z.object({ host: z.string(), name: z.string() })),
  plugins: z.array(z.object({ host: z.string(), plugin: z.string(), title: z.string() })),
  dataSources: z.array(z.object({ host: z.string(), plugin: z.string(), ds: z.string(), label: z.string() })),
  /** True when more matches exist than `limit`. */
  truncated: z.boolean(),
});
export type SearchResponse = z.infer<typeof SearchResponse>;

/** `/health`: 200 when every check is ok, 503 otherwise. */
export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.object({ ok: z.boolean(), detail: z.string().optional() })),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** Graphite `/render?format=json`: `[value, epochSeconds]` pairs. */
export const GraphiteSeries = z.object({
  target: z.string(),
  tags: z.record(z.string()),
  datapoints: z.array(z.tuple([z.number().nullable(), z.number().int()])),
});
export type GraphiteSeries = z.infer<typeof GraphiteSeries>;
export const RenderResponse = z.array(GraphiteSeries);

/** Graphite `/metrics/find` (treejson): flags are the integers 0/1. */
export const FindNode = z.object({
  text: z.string(),
  id: z.string(),
  allowChildren: z.union([z.literal(0), z.literal(1)]),
  expandable: z.union([z.literal(0), z.literal(1)]),
  leaf: z.union([z.literal(0), z.literal(1)]),
});
export type FindNode = z.infer<typeof FindNode>;
export const ExpandResponse = z.object({ results: z.array(z.string()) });
