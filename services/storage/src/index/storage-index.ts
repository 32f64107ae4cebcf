import type { Redis } from 'ioredis';
import type { LegacyHostInfo, LegacyPluginInfo } from '../../../../common/schemas/index.js';
import type { RedisKeys } from './keys.js';

/**
 * The storage's writes to the Redis index (key patterns in keys.ts). Values keep the
 * original Numeter's shapes. Every write is idempotent, so a redelivered message or a
 * second storage process sharing the queue is harmless.
 */
export class IndexError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IndexError';
  }
}

/** Where a host's files live, as fixed at first sight. */
export interface HostLocation {
  hostId: string;
  /** md5 prefix directory (HOST_ID). */
  hash: string;
  /** Absolute host directory (WSP_PATH). */
  dir: string;
}

export interface RebuiltPlugin {
  dataSources: string[];
  lastSeen: number;
}

/** What one flush touched: the index records it before the messages are acked. */
export interface FlushTouches {
  hosts: Map<string, HostLocation>;
  /** hostId → plugins written. */
  plugins: Map<string, Set<string>>;
  /** hostId → plugin → data sources whose file may be new to the index. */
  dataSources: Map<string, Map<string, Set<string>>>;
  /** Epoch seconds. */
  now: number;
}

// Merges data-source names into the JSON array kept in DS@<host> (sorted, unique), atomically.
const MERGE_DATA_SOURCES = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local list, seen = {}, {}
if cur then
  local ok, decoded = pcall(cjson.decode, cur)
  if ok and type(decoded) == 'table' then
    for _, v in ipairs(decoded) do
      if type(v) == 'string' and not seen[v] then seen[v] = true; table.insert(list, v) end
    end
  end
end
local changed = cur == false or cur == nil
for i = 2, #ARGV do
  if not seen[ARGV[i]] then seen[ARGV[i]] = true; table.insert(list, ARGV[i]); changed = true end
end
if changed then table.sort(list); redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(list)) end
return changed and 1 or 0
`;

export class StorageIndex {
  private readonly counters = { hostInfos: 0, pluginInfos: 0, flushes: 0, errors: 0 };

  constructor(
    readonly redis: Redis,
    readonly keys: RedisKeys,
  ) {}

  /** HOST_ID and WSP_PATH of a host, if it has been seen before. */
  async hostLocation(hostId: string): Promise<{ hash: string | null; dir: string | null }> {
    const [hash, dir] = await this.run(() =>
      Promise.all([this.redis.hget(this.keys.hostIdHash, hostId), this.redis.hget(this.keys.wspPath, hostId)]),
    );
    return { hash, dir };
  }

  /** WSP_PATH reversed: directory → host ID. */
  async directoryOwners(): Promise<Map<string, string>> {
    const all = await this.run(() => this.redis.hgetall(this.keys.wspPath));
    const owners = new Map<string, string>();
    for (const [hostId, dir] of Object.entries(all)) owners.set(dir, hostId);
    return owners;
  }

  /** Fixes a host's location unless another process fixed it first; returns the winner. */
  async claimHostLocation(location: HostLocation): Promise<{ hash: string; dir: string }> {
    return this.run(async () => {
      const results = await this.redis
        .multi()
        .hsetnx(this.keys.hostIdHash, location.hostId, location.hash)
        .hsetnx(this.keys.wspPath, location.hostId, location.dir)
        .hget(this.keys.hostIdHash, location.hostId)
        .hget(this.keys.wspPath, location.hostId)
        .exec();
      const hash = results?.[2]?.[1];
      const dir = results?.[3]?.[1];
      if (typeof hash !== 'string' || typeof dir !== 'string')
        throw new IndexError(`could not record the location of host ${location.hostId}`);
      return { hash, dir };
    });
  }

  /** A host's MyInfo (HOSTS), with the original's hostIDHash and HostIDFiltredName. */
  async writeHostInfo(location: HostLocation, info: LegacyHostInfo, now: number): Promise<void> {
    await this.run(() =>
      this.redis
        .multi()
        .hset(this.keys.hosts, location.hostId, JSON.stringify(withLocation(info, location)))
        .hset(this.keys.lastSeenHosts, location.hostId, String(now))
        .hdel(this.keys.deletedHosts, location.hostId)
        .exec(),
    );
    this.counters.hostInfos++;
  }

  /** A plugin's info (INFOS@<host>); registers the host from it if it has no MyInfo yet. */
  async writePluginInfo(location: HostLocation, info: LegacyPluginInfo, now: number): Promise<void> {
    await this.run(() =>
      this.redis
        .multi()
        .hsetnx(this.keys.hosts, location.hostId, JSON.stringify(placeholderHostInfo(location)))
        .hset(this.keys.infos(location.hostId), info.Plugin, JSON.stringify(info))
        .hset(this.keys.lastSeenHosts, location.hostId, String(now))
        .hset(this.keys.lastSeenPlugins(location.hostId), info.Plugin, String(now))
        .hdel(this.keys.deletedHosts, location.hostId)
        .hdel(this.keys.deletedPlugins, `${location.hostId}@${info.Plugin}`)
        .exec(),
    );
    this.counters.pluginInfos++;
  }

  /**
   * After a flush: hosts (registered from data when they have no MyInfo yet: the
   * original dropped such data), last-seen times, deletion marks cleared, new data sources.
   */
  async recordFlush(touches: FlushTouches): Promise<void> {
    const now = String(touches.now);
    const pipeline = this.redis.pipeline();
    for (const location of touches.hosts.values()) {
      pipeline.hsetnx(this.keys.hostIdHash, location.hostId, location.hash);
      pipeline.hsetnx(this.keys.wspPath, location.hostId, location.dir);
      pipeline.hsetnx(this.keys.hosts, location.hostId, JSON.stringify(placeholderHostInfo(location)));
      pipeline.hset(this.keys.lastSeenHosts, location.hostId, now);
      pipeline.hdel(this.keys.deletedHosts, location.hostId);
    }
    for (const [hostId, plugins] of touches.plugins) {
      const args: string[] = [];
      for (const plugin of plugins) args.push(plugin, now);
      pipeline.hset(this.keys.lastSeenPlugins(hostId), ...args);
      pipeline.hdel(this.keys.deletedPlugins, ...[...plugins].map((p) => `${hostId}@${p}`));
    }
    for (const [hostId, plugins] of touches.dataSources) {
      for (const [plugin, sources] of plugins) {
        pipeline.eval(MERGE_DATA_SOURCES, 1, this.keys.dataSources(hostId), plugin, ...sources);
      }
    }
    await this.run(async () => {
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    });
    this.counters.flushes++;
  }

  /**
   * A host found on disk by an index rebuild: fills what is missing, never overwrites
   * (a MyInfo or last-seen time written meanwhile is newer). Last-seen = newest file mtime.
   */
  async recordRebuiltHost(location: HostLocation, plugins: ReadonlyMap<string, RebuiltPlugin>, lastSeen: number): Promise<void> {
    const pipeline = this.redis.pipeline();
    pipeline.hsetnx(this.keys.hostIdHash, location.hostId, location.hash);
    pipeline.hsetnx(this.keys.wspPath, location.hostId, location.dir);
    pipeline.hsetnx(this.keys.hosts, location.hostId, JSON.stringify(placeholderHostInfo(location)));
    pipeline.hsetnx(this.keys.lastSeenHosts, location.hostId, String(lastSeen));
    for (const [plugin, found] of plugins) {
      pipeline.hsetnx(this.keys.lastSeenPlugins(location.hostId), plugin, String(found.lastSeen));
      if (found.dataSources.length)
        pipeline.eval(MERGE_DATA_SOURCES, 1, this.keys.dataSources(location.hostId), plugin, ...found.dataSources);
    }
    await this.run(async () => {
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    });
  }

  /** Every index entry of a host (clean-up after its files were removed). */
  async removeHost(hostId: string): Promise<void> {
    await this.run(() =>
      this.redis
        .multi()
        .hdel(this.keys.hosts, hostId)
        .hdel(this.keys.hostIdHash, hostId)
        .hdel(this.keys.wspPath, hostId)
        .hdel(this.keys.lastSeenHosts, hostId)
        .hdel(this.keys.deletedHosts, hostId)
        .del(this.keys.infos(hostId), this.keys.lastSeenPlugins(hostId), this.keys.dataSources(hostId))
        .exec(),
    );
  }

  /** Every index entry of one plugin of a host. */
  async removePlugin(hostId: string, plugin: string): Promise<void> {
    await this.run(() =>
      this.redis
        .multi()
        .hdel(this.keys.infos(hostId), plugin)
        .hdel(this.keys.lastSeenPlugins(hostId), plugin)
        .hdel(this.keys.dataSources(hostId), plugin)
        .hdel(this.keys.deletedPlugins, `${hostId}@${plugin}`)
        .exec(),
    );
  }

  /** True when the index has no host at all (fresh or flushed Redis). */
  async isEmpty(): Promise<boolean> {
    const [hosts, paths] = await this.run(() => Promise.all([this.redis.hlen(this.keys.hosts), this.redis.hlen(this.keys.wspPath)]));
    return hosts === 0 && paths === 0;
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.counters.errors++;
      if (error instanceof IndexError) throw error;
      throw new IndexError(`Redis index update failed: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** The HOSTS entry of a host known only from its data or from its files. */
export function placeholderHostInfo(location: HostLocation): LegacyHostInfo {
  return withLocation({ Plugin: 'MyInfo', ID: location.hostId, Name: location.hostId, Description: '' }, location);
}

function withLocation(info: LegacyHostInfo, location: HostLocation): LegacyHostInfo {
  return { ...info, hostIDHash: location.hash, HostIDFiltredName: basename(location.dir) };
}

function basename(dir: string): string {
  return dir.slice(dir.lastIndexOf('/') + 1);
}
