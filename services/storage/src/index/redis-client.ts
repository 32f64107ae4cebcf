import { Redis, type RedisOptions } from 'ioredis';
import { type StorageConfig, sentinelAddresses } from '../config.js';

/**
 * The options of the index's Redis client, from [global]. With `redis_sentinels` set,
 * ioredis asks those sentinels for the master of `redis_sentinel_name` (and asks again
 * after a failover) instead of connecting to redis_storage_host/port; the database and
 * the master's password are the same keys either way.
 */
export function redisOptions(config: StorageConfig): RedisOptions {
  const g = config.global;
  const common: RedisOptions = {
    password: g.redis_storage_password || undefined,
    db: g.redis_storage_db,
    connectTimeout: g.redis_storage_timeout * 1000,
    commandTimeout: g.redis_storage_timeout * 1000,
    lazyConnect: true,
    maxRetriesPerRequest: 2,
  };
  const sentinels = sentinelAddresses(config);
  if (sentinels.length === 0) return { ...common, host: g.redis_storage_host, port: g.redis_storage_port };
  return {
    ...common,
    sentinels,
    name: g.redis_sentinel_name,
    sentinelPassword: g.redis_sentinel_password || undefined,
    sentinelCommandTimeout: g.redis_storage_timeout * 1000,
  };
}

/** The index's Redis client (lazy: it connects on `connect()` or the first command). */
export function createRedisClient(config: StorageConfig): Redis {
  return new Redis(redisOptions(config));
}
