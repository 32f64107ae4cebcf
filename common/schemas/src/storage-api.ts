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
  })
  .passthrough();
export type LegacyHostInfo = z.infer<typeof LegacyHostInfo>;

export const HostsResponse = z.record(LegacyHostInfo);
export const ListResponse = z.record(LegacyPluginInfo);

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
});
export type DataResponse = z.infer<typeof DataResponse>;

/** Every 4xx/5xx body. `parameter` names the bad query parameter when there is one. */
export const ErrorResponse = z.object({ error: z.string(), parameter: z.string().optional() });
export type ErrorResponse = z.infer<typeof ErrorResponse>;
