import type { Redis } from 'ioredis';
import { decodeDataSources, decodeJsonObject, type JsonObject } from './codecs.js';
import type { RedisKeys } from './keys.js';

/**
 * The API's reads of the Redis index (key patterns in keys.ts, values decoded by
 * codecs.ts). Anything that walks many hosts or plugins is one pipeline per level, so a
 * find over 1,000 hosts costs the same few round trips as over one. Values that are not
 * the expected shape come back as `undefined` (the caller says what to do with them).
 * Redis errors propagate as they are; the client is not this class's to close.
 */
export interface PluginEntries {
  /** INFOS@<host>: plugin → info (undefined: not a JSON object). */
  infos: Map<string, JsonObject | undefined>;
  /** DS@<host>: plugin → data sources that have a file. */
  dataSources: Map<string, string[]>;
}

export interface PluginEntry {
  /** null: no INFOS@ entry; undefined: an entry that is not a JSON object. */
  info: JsonObject | undefined | null;
  /** null: no DS@ entry. */
  dataSources: string[] | null;
}

/** Hosts per pipeline: bounds one reply's size while keeping round trips few. */
const BATCH = 500;

/** HKEYS of every key given, in order (a few ms of the server's time for 1,000 keys). */
const HKEYS_OF_EACH = `local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HKEYS', key) end
return out`;

/** For each pair of keys, HMGET of both with the next fields of ARGV (their count first). */
const HMGET_OF_EACH = `local out = {}
local a = 1
for i = 1, #KEYS, 2 do
  local n = tonumber(ARGV[a])
  local fields = {unpack(ARGV, a + 1, a + n)}
  a = a + n + 1
  out[#out + 1] = redis.call('HMGET', KEYS[i], unpack(fields))
  out[#out + 1] = redis.call('HMGET', KEYS[i + 1], unpack(fields))
end
return out`;

export class IndexReader {
  constructor(
    private readonly redis: Redis,
    readonly keys: RedisKeys,
  ) {}

  async hostIds(): Promise<string[]> {
    return (await this.redis.hkeys(this.keys.hosts)).sort();
  }

  /** HOSTS: host → MyInfo. */
  async hosts(): Promise<Map<string, JsonObject | undefined>> {
    const raw = await this.redis.hgetall(this.keys.hosts);
    return new Map(Object.keys(raw).map((host) => [host, decodeJsonObject(raw[host])]));
  }

  /** A host's MyInfo; null when it has none. */
  async hostInfo(host: string): Promise<JsonObject | undefined | null> {
    const raw = await this.redis.hget(this.keys.hosts, host);
    return raw === null ? null : decodeJsonObject(raw);
  }

  /** True when any index entry names the host (MyInfo, plugin infos, data sources or location). */
  async hasHost(host: string): Promise<boolean> {
    const replies = await this.exec(
      this.redis
        .pipeline()
        .hexists(this.keys.hosts, host)
        .exists(this.keys.infos(host), this.keys.dataSources(host))
        .hexists(this.keys.wspPath, host),
    );
    return replies.some((n) => Number(n) > 0);
  }

  async plugins(host: string): Promise<PluginEntries> {
    const [infos, sources] = await this.exec(this.redis.pipeline().hgetall(this.keys.infos(host)).hgetall(this.keys.dataSources(host)));
    return decodePluginEntries(infos as Record<string, string>, sources as Record<string, string>);
  }

  /** plugins() of many hosts, BATCH hosts per pipeline (a /search over 1,000 hosts made 1,000 round trips in a row). */
  async pluginsOfHosts(hosts: readonly string[]): Promise<Map<string, PluginEntries>> {
    const out = new Map<string, PluginEntries>();
    for (let i = 0; i < hosts.length; i += BATCH) {
      const chunk = hosts.slice(i, i + BATCH);
      const pipeline = this.redis.pipeline();
      for (const host of chunk) pipeline.hgetall(this.keys.infos(host)).hgetall(this.keys.dataSources(host));
      const replies = await this.exec(pipeline);
      for (const [j, host] of chunk.entries()) {
        out.set(host, decodePluginEntries(replies[2 * j] as Record<string, string>, replies[2 * j + 1] as Record<string, string>));
      }
    }
    return out;
  }

  async plugin(host: string, plugin: string): Promise<PluginEntry> {
    const [info, sources] = await this.exec(
      this.redis.pipeline().hget(this.keys.infos(host), plugin).hget(this.keys.dataSources(host), plugin),
    );
    return {
      info: info === null ? null : decodeJsonObject(info as string),
      dataSources: sources === null ? null : decodeDataSources(sources as string),
    };
  }

  /** WSP_PATH of each host (null when it has none), one command. */
  async hostDirs(hosts: readonly string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    for (let i = 0; i < hosts.length; i += BATCH) {
      const chunk = hosts.slice(i, i + BATCH);
      const dirs = await this.redis.hmget(this.keys.wspPath, ...chunk);
      for (const [j, host] of chunk.entries()) out.set(host, dirs[j] ?? null);
    }
    return out;
  }

  /**
   * Plugin names of each host: INFOS@ fields and DS@ fields together. The HKEYS of a batch
   * of hosts run in one server-side script: one command per BATCH hosts instead of two per
   * host (a find over 1,000 hosts spent most of its time building and decoding 2,000
   * commands on the client).
   */
  async pluginNamesOf(hosts: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < hosts.length; i += BATCH) {
      const chunk = hosts.slice(i, i + BATCH);
      const keys = chunk.flatMap((host) => [this.keys.infos(host), this.keys.dataSources(host)]);
      const replies = (await this.redis.eval(HKEYS_OF_EACH, keys.length, ...keys)) as string[][];
      for (const [j, host] of chunk.entries()) {
        const names = new Set([...replies[2 * j], ...replies[2 * j + 1]]);
        out.set(host, [...names].sort());
      }
    }
    return out;
  }

  /**
   * Both entries of each (host, plugin), in the order asked: an HMGET of INFOS@ and one of
   * DS@ per host for all its plugins asked, BATCH hosts in one server-side script (a render
   * over 1,000 plugins of 250 hosts sends 1 command, not 2,000).
   */
  async pluginsOf(pairs: ReadonlyArray<{ host: string; plugin: string }>): Promise<PluginEntry[]> {
    const byHost = new Map<string, number[]>();
    pairs.forEach(({ host }, i) => {
      const list = byHost.get(host);
      if (list) list.push(i);
      else byHost.set(host, [i]);
    });
    const out = new Array<PluginEntry>(pairs.length);
    const hosts = [...byHost.keys()];
    for (let i = 0; i < hosts.length; i += BATCH) {
      const chunk = hosts.slice(i, i + BATCH);
      const keys: string[] = [];
      const fields: string[] = [];
      for (const host of chunk) {
        const plugins = (byHost.get(host) as number[]).map((k) => pairs[k].plugin);
        keys.push(this.keys.infos(host), this.keys.dataSources(host));
        fields.push(String(plugins.length), ...plugins);
      }
      const replies = (await this.redis.eval(HMGET_OF_EACH, keys.length, ...keys, ...fields)) as Array<Array<string | null>>;
      chunk.forEach((host, j) => {
        const infos = replies[2 * j];
        const sources = replies[2 * j + 1];
        (byHost.get(host) as number[]).forEach((k, n) => {
          out[k] = {
            info: infos[n] === null ? null : decodeJsonObject(infos[n] as string),
            dataSources: sources[n] === null ? null : decodeDataSources(sources[n] as string),
          };
        });
      });
    }
    return out;
  }

  /** False once the index was lost and until a rebuild finished (see keys.indexMarker). */
  async isComplete(): Promise<boolean> {
    return (await this.redis.exists(this.keys.indexMarker)) === 1;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  private async exec(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }
}

function decodePluginEntries(infos: Record<string, string>, sources: Record<string, string>): PluginEntries {
  return {
    infos: new Map(Object.keys(infos).map((plugin) => [plugin, decodeJsonObject(infos[plugin])])),
    dataSources: new Map(Object.keys(sources).map((plugin) => [plugin, decodeDataSources(sources[plugin])])),
  };
}
