import type { Redis } from 'ioredis';

/**
 * Marks items whose request has left for Calltouch. An item still marked when it is claimed
 * again was in a request whose answer never came (the process died or the request timed out):
 * it may already be in Calltouch, so its next delivery is counted as a duplicate — the one
 * window where "sent twice" cannot be avoided, made visible instead of silent.
 */
export function createInflight(redis: Redis, key: string) {
  return {
    async mark(ids: readonly string[]): Promise<void> {
      if (ids.length === 0) return;
      const now = Date.now();
      await redis.hset(key, Object.fromEntries(ids.map((id) => [id, now])));
    },
    async clear(ids: readonly string[]): Promise<void> {
      if (ids.length > 0) await redis.hdel(key, ...ids);
    },
    async marked(ids: readonly string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const values = await redis.hmget(key, ...ids);
      return new Set(ids.filter((_, i) => values[i] !== null));
    },
  };
}
export type Inflight = ReturnType<typeof createInflight>;
