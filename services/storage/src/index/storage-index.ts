import type { Redis } from 'ioredis';
import type { Logger } from '../../../../common/logging/index.js';
import type { StorageConfig } from '../config.js';
import { IndexReader } from './index-reader.js';
import { IndexError, IndexWriter } from './index-writer.js';
import { type RedisKeys, redisKeys } from './keys.js';
import { createRedisClient } from './redis-client.js';

/**
 * The storage's Redis index: it opens the one Redis client of the service and closes it.
 * Nobody else sees the client: the API reads through `reader`, ingestion, the rebuild and
 * the cleaner write through `writer`, and only those two know the key patterns (keys.ts)
 * and value encodings (codecs.ts).
 */
export class StorageIndex {
  readonly keys: RedisKeys;
  readonly reader: IndexReader;
  readonly writer: IndexWriter;
  private closing?: Promise<void>;

  private constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly server: string,
  ) {
    this.keys = redisKeys(prefix);
    this.reader = new IndexReader(redis, this.keys);
    this.writer = new IndexWriter(redis, this.keys);
  }

  /** The index of a storage configuration ([global] redis_*); the client connects on connect(). */
  static open(config: StorageConfig, logger: Logger): StorageIndex {
    const g = config.global;
    const redis = createRedisClient(config);
    redis.on('error', (error: Error) => logger.warn({ reason: error.message }, 'redis error'));
    const server = g.redis_sentinels.length
      ? `sentinels ${g.redis_sentinels.join(',')} (master ${g.redis_sentinel_name})`
      : `${g.redis_storage_host}:${g.redis_storage_port}`;
    return new StorageIndex(redis, g.redis_key_prefix, `${server} (db ${g.redis_storage_db})`);
  }

  /** Connects the client; the error names the server. */
  async connect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (error) {
      throw new IndexError(`cannot connect to Redis at ${this.server}`, { cause: error });
    }
  }

  /** Closes the client (idempotent); a client that never connected is just disconnected. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
      else this.redis.disconnect();
    })();
    return this.closing;
  }

  stats(): Record<string, number> {
    return this.writer.stats();
  }
}
