import { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` (SCAN MATCH prefix* + DEL, never anything else) on
 * `redis`, or on a connection of its own to the shared Redis (127.0.0.1:6379) that it
 * closes afterwards. Returns how many keys it deleted.
 */
export async function deleteRedisPrefix(prefix: string, redis?: Redis): Promise<number> {
  // An empty prefix would match every key of every engineer's tests.
  if (!prefix) throw new Error('deleteRedisPrefix: empty prefix');
  const client = redis ?? new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  if (!redis) await client.connect();
  let deleted = 0;
  let cursor = '0';
  try {
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    if (!redis) await client.quit();
  }
  return deleted;
}
