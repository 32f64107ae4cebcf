import type { Redis } from 'ioredis';
import type { LegacyHostInfo, LegacyPluginInfo } from '../../../../common/schemas/index.js';
import {
  decodeEpoch,
  deletedPluginField,
  encodeEpoch,
  encodeHostInfo,
  encodeIndexMarker,
  encodePluginInfo,
  type HostLocation,
  placeholderHostInfo,
} from './codecs.js';
import type { RedisKeys } from './keys.js';

export type { HostLocation } from './codecs.js';

/** A Redis failure of the index (the cause is kept); ingestion requeues, the cleaner retries. */
export class IndexError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IndexError';
  }
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

// Raises a last-seen time (field ARGV[1] of KEYS[1]) to ARGV[2], never lowers it.
const RAISE_EPOCH = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if cur == nil or cur < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 0
`;

/**
 * How an info write moves last-seen: \`set\` to its time (a live message), or \`raise\` it
 * to its time only if older (an import of history: the newest imported point must not
 * move back what the poller's messages recorded).
 */
export type LastSeenUpdate = 'set' | 'raise';

/**
 * The storage's writes to the Redis index (key patterns in keys.ts, values encoded by
 * codecs.ts, in the original Numeter's shapes), used by ingestion, the rebuild and the
 * cleaner. Every write is idempotent, so a redelivered message or a second storage
 * process sharing the queue is harmless. The Redis client belongs to whoever made it
 * (StorageIndex in the service): this class never closes it.
 */
export class IndexWriter {
  private readonly counters = { hostInfos: 0, pluginInfos: 0, flushes: 0, errors: 0 };

  constructor(
    private readonly redis: Redis,
    readonly keys: RedisKeys,
  ) {}

  /** HOST_ID and WSP_PATH of a host, if it has been seen before. */
  async hostLocation(hostId: string): Promise<{ hash: string | null; dir: string | null }> {
    const results = await this.run(() => this.redis.pipeline().hget(this.keys.hostIdHash, hostId).hget(this.keys.wspPath, hostId).exec());
    const [hash, dir] = (results ?? []).map(([error, value]) => {
      if (error) throw new IndexError(`Redis index read failed: ${error.message}`, { cause: error });
      return typeof value === 'string' ? value : null;
    });
    return { hash: hash ?? null, dir: dir ?? null };
  }

  /** WSP_PATH reversed: directory → host ID. */
  async directoryOwners(): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    for (const [hostId, dir] of await this.hostDirectories()) owners.set(dir, hostId);
    return owners;
  }

  /** WSP_PATH: host ID → directory. */
  async hostDirectories(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.run(() => this.redis.hgetall(this.keys.wspPath))));
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

  /**
   * A host's MyInfo (HOSTS), with the original's hostIDHash and HostIDFiltredName. The
   * location is recorded again (HSETNX: it never moves) so an index lost while this
   * process remembered the host gets it back from the next info.
   */
  async writeHostInfo(location: HostLocation, info: LegacyHostInfo, now: number, seen: LastSeenUpdate = 'set'): Promise<void> {
    await this.run(() =>
      this.seenAt(
        this.withLocation(this.redis.multi(), location).hset(this.keys.hosts, location.hostId, encodeHostInfo(info, location)),
        seen,
        this.keys.lastSeenHosts,
        location.hostId,
        now,
      )
        .hdel(this.keys.deletedHosts, location.hostId)
        .exec(),
    );
    this.counters.hostInfos++;
  }

  /** A plugin's info (INFOS@<host>); registers the host (and its location) if it has no MyInfo yet. */
  async writePluginInfo(location: HostLocation, info: LegacyPluginInfo, now: number, seen: LastSeenUpdate = 'set'): Promise<void> {
    await this.run(() => {
      const multi = this.withLocation(this.redis.multi(), location)
        .hsetnx(this.keys.hosts, location.hostId, encodeHostInfo(placeholderHostInfo(location), location))
        .hset(this.keys.infos(location.hostId), info.Plugin, encodePluginInfo(info));
      this.seenAt(multi, seen, this.keys.lastSeenHosts, location.hostId, now);
      return this.seenAt(multi, seen, this.keys.lastSeenPlugins(location.hostId), info.Plugin, now)
        .hdel(this.keys.deletedHosts, location.hostId)
        .hdel(this.keys.deletedPlugins, deletedPluginField(location.hostId, info.Plugin))
        .exec();
    });
    this.counters.pluginInfos++;
  }

  private seenAt<T extends ReturnType<Redis['multi']>>(multi: T, seen: LastSeenUpdate, key: string, field: string, at: number): T {
    if (seen === 'set') multi.hset(key, field, encodeEpoch(at));
    else multi.eval(RAISE_EPOCH, 1, key, field, encodeEpoch(at));
    return multi;
  }

  /**
   * After a flush: hosts (registered from data when they have no MyInfo yet: the
   * original dropped such data), last-seen times, deletion marks cleared, new data sources.
   */
  async recordFlush(touches: FlushTouches): Promise<void> {
    const now = encodeEpoch(touches.now);
    const pipeline = this.redis.pipeline();
    for (const location of touches.hosts.values()) {
      this.withLocation(pipeline, location);
      pipeline.hsetnx(this.keys.hosts, location.hostId, encodeHostInfo(placeholderHostInfo(location), location));
      pipeline.hset(this.keys.lastSeenHosts, location.hostId, now);
      pipeline.hdel(this.keys.deletedHosts, location.hostId);
    }
    for (const [hostId, plugins] of touches.plugins) {
      const args: string[] = [];
      for (const plugin of plugins) args.push(plugin, now);
      pipeline.hset(this.keys.lastSeenPlugins(hostId), ...args);
      pipeline.hdel(this.keys.deletedPlugins, ...[...plugins].map((p) => deletedPluginField(hostId, p)));
    }
    for (const [hostId, plugins] of touches.dataSources) {
      for (const [plugin, sources] of plugins) {
        pipeline.eval(MERGE_DATA_SOURCES, 1, this.keys.dataSources(hostId), plugin, ...sources);
      }
    }
    await this.exec(pipeline);
    this.counters.flushes++;
  }

  /**
   * A host found on disk by an index rebuild: fills what is missing, never overwrites
   * (a MyInfo or last-seen time written meanwhile is newer). Last-seen = newest file mtime.
   */
  async recordRebuiltHost(location: HostLocation, plugins: ReadonlyMap<string, RebuiltPlugin>, lastSeen: number): Promise<void> {
    const pipeline = this.withLocation(this.redis.pipeline(), location);
    pipeline.hsetnx(this.keys.hosts, location.hostId, encodeHostInfo(placeholderHostInfo(location), location));
    pipeline.hsetnx(this.keys.lastSeenHosts, location.hostId, encodeEpoch(lastSeen));
    for (const [plugin, found] of plugins) {
      pipeline.hsetnx(this.keys.lastSeenPlugins(location.hostId), plugin, encodeEpoch(found.lastSeen));
      if (found.dataSources.length)
        pipeline.eval(MERGE_DATA_SOURCES, 1, this.keys.dataSources(location.hostId), plugin, ...found.dataSources);
    }
    await this.exec(pipeline);
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
        .hdel(this.keys.deletedPlugins, deletedPluginField(hostId, plugin))
        .exec(),
    );
  }

  /** LAST_SEEN: host → epoch seconds (NaN when unreadable). */
  async hostsLastSeen(): Promise<Map<string, number>> {
    return decodedEpochs(await this.run(() => this.redis.hgetall(this.keys.lastSeenHosts)));
  }

  /** LAST_SEEN@<host>: plugin → epoch seconds. */
  async pluginsLastSeen(hostId: string): Promise<Map<string, number>> {
    return decodedEpochs(await this.run(() => this.redis.hgetall(this.keys.lastSeenPlugins(hostId))));
  }

  /** DELETED_HOSTS, unless already marked (the first mark's time counts); true when marked now. */
  async markHostDeleted(hostId: string, dir: string): Promise<boolean> {
    return (await this.run(() => this.redis.hsetnx(this.keys.deletedHosts, hostId, dir))) === 1;
  }

  /** DELETED_PLUGINS, unless already marked; true when marked now. */
  async markPluginDeleted(hostId: string, plugin: string, dir: string): Promise<boolean> {
    return (await this.run(() => this.redis.hsetnx(this.keys.deletedPlugins, deletedPluginField(hostId, plugin), dir))) === 1;
  }

  /** True while the index-complete marker is there: false on a fresh, flushed or emptied Redis. */
  async isComplete(): Promise<boolean> {
    return (await this.run(() => this.redis.exists(this.keys.indexMarker))) === 1;
  }

  /** After a rebuild: the index holds everything the files hold. */
  async markComplete(now: number): Promise<void> {
    await this.run(() => this.redis.set(this.keys.indexMarker, encodeIndexMarker(now)));
  }

  stats(): Record<string, number> {
    return { ...this.counters };
  }

  /** HOST_ID and WSP_PATH if missing: a host's location never moves once fixed. */
  private withLocation<T extends ReturnType<Redis['pipeline']>>(batch: T, location: HostLocation): T {
    batch.hsetnx(this.keys.hostIdHash, location.hostId, location.hash);
    batch.hsetnx(this.keys.wspPath, location.hostId, location.dir);
    return batch;
  }

  private async exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
    await this.run(async () => {
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0];
    });
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

function decodedEpochs(raw: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(raw)) out.set(name, decodeEpoch(value));
  return out;
}
