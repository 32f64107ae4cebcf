import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { containedPath, UnsafePathError } from '../files/layout.js';
import type { RedisKeys } from '../index/keys.js';
import { CorruptIndexError, IndexUnavailableError, NotFoundError, quote } from './errors.js';

/**
 * Read-only view of the storage's Redis index. Everything stored there came from
 * pollers, so values are parsed defensively and maps keyed by names are null-prototype
 * objects (a plugin called `__proto__` stays data). Redis failures become a 503.
 */
export type JsonObject = Record<string, unknown>;

const REDIS_TIMEOUT_MS = 2000;

export class Catalog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly wspRoot: string,
    private readonly logger: Logger,
  ) {}

  async hostIds(): Promise<string[]> {
    return (await this.call(() => this.redis.hkeys(this.keys.hosts))).sort();
  }

  /** Every host's stored MyInfo; entries that are not JSON objects are logged and left out. */
  async hosts(): Promise<Record<string, JsonObject>> {
    const raw = await this.call(() => this.redis.hgetall(this.keys.hosts));
    return this.parseAll(raw, 'host');
  }

  async hostInfo(host: string): Promise<JsonObject> {
    const raw = await this.call(() => this.redis.hget(this.keys.hosts, host));
    if (raw !== null) return parseObject(raw, `stored info of host ${quote(host)}`);
    await this.requireHost(host);
    return Object.create(null);
  }

  /** 404 unless the host has a MyInfo entry or any plugin info. */
  async requireHost(host: string): Promise<void> {
    const [inHosts, hasInfos] = await this.call(() =>
      Promise.all([this.redis.hexists(this.keys.hosts, host), this.redis.exists(this.keys.infos(host))]),
    );
    if (!inHosts && !hasInfos) throw new NotFoundError(`unknown host ${quote(host)}`, 'host');
  }

  async pluginNames(host: string): Promise<string[]> {
    return (await this.call(() => this.redis.hkeys(this.keys.infos(host)))).sort();
  }

  async plugins(host: string): Promise<Record<string, JsonObject>> {
    const raw = await this.call(() => this.redis.hgetall(this.keys.infos(host)));
    if (Object.keys(raw).length === 0) await this.requireHost(host);
    return this.parseAll(raw, `plugin of host ${quote(host)}`);
  }

  async pluginInfo(host: string, plugin: string): Promise<JsonObject> {
    const raw = await this.call(() => this.redis.hget(this.keys.infos(host), plugin));
    if (raw === null) {
      await this.requireHost(host);
      throw new NotFoundError(`unknown plugin ${quote(plugin)} of host ${quote(host)}`, 'plugin');
    }
    return parseObject(raw, `stored info of plugin ${quote(plugin)}`);
  }

  /** Data sources of a plugin: the `DS@<host>` list when the storage wrote one, else the info's `Infos` keys. */
  async dataSources(host: string, plugin: string, info?: JsonObject): Promise<string[]> {
    const raw = await this.call(() => this.redis.hget(this.keys.dataSources(host), plugin));
    const names = new Set<string>();
    if (raw !== null) {
      const list = safeParse(raw);
      if (Array.isArray(list)) for (const item of list) if (typeof item === 'string') names.add(item);
    }
    const infos = (info ?? (await this.pluginInfo(host, plugin))).Infos;
    if (infos && typeof infos === 'object') for (const ds of Object.keys(infos)) names.add(ds);
    return [...names].sort();
  }

  /** The host's `.wsp` directory from `WSP_PATH`, refused unless it lies under the configured root. */
  async hostDir(host: string): Promise<string | null> {
    const dir = await this.call(() => this.redis.hget(this.keys.wspPath, host));
    if (dir === null) return null;
    try {
      return containedPath(this.wspRoot, dir);
    } catch (error) {
      if (error instanceof UnsafePathError) {
        throw new CorruptIndexError(`stored directory of host ${quote(host)} is outside the data root`, { cause: error });
      }
      throw error;
    }
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  private parseAll(raw: Record<string, string>, what: string): Record<string, JsonObject> {
    const out: Record<string, JsonObject> = Object.create(null);
    for (const name of Object.keys(raw).sort()) {
      const value = safeParse(raw[name]);
      if (isObject(value)) out[name] = value;
      else this.logger.warn({ name: name.slice(0, 200) }, `stored ${what} is not a JSON object; left out`);
    }
    return out;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_TIMEOUT_MS} ms`)), REDIS_TIMEOUT_MS);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (error) {
      throw new IndexUnavailableError({ cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

function safeParse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(raw: string, what: string): JsonObject {
  const value = safeParse(raw);
  if (!isObject(value)) throw new CorruptIndexError(`${what} is not a JSON object`);
  return value;
}
