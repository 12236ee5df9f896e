import type { Redis } from 'ioredis';

/**
 * Every Redis key Touchline owns is built here, under `QUEUE_PREFIX`, so one prefix (with a
 * hash tag on Cluster, e.g. `{touchline}`) keeps a deployment's keys together and apart from
 * any other deployment on the same Redis.
 */
export function createKeys(prefix: string) {
  const k = (...parts: (string | number)[]) => [prefix, ...parts].join(':');
  return { prefix, key: k };
}
export type Keys = ReturnType<typeof createKeys>;

/**
 * Deletes every key under `prefix:` (queues, checkpoints, limiter, counters): what a throwaway
 * deployment such as the demo leaves behind. Uses SCAN and UNLINK, never KEYS. Returns how many
 * keys went.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
