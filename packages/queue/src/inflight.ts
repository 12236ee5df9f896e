import type { Redis } from 'ioredis';
import type { InflightMarks } from './outcome.ts';

/** Marks older than this are pruned: no item stays in flight for a week. */
export const INFLIGHT_MAX_AGE_MS = 7 * 86_400_000;

/**
 * Marks items whose request has left. An item still marked when it is claimed again was in a
 * request whose answer never came (the process died or the request timed out): it may already be
 * delivered, so its next delivery is counted as a duplicate — the one window where "sent twice"
 * cannot be avoided, made visible instead of silent.
 *
 * Each mark holds the time it was set. Marks of items that end parked or are removed would
 * otherwise stay for ever: `prune` drops marks older than {@link INFLIGHT_MAX_AGE_MS}.
 */
export function createInflight(redis: Redis, key: string) {
  return {
    key,
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
    /** Drops marks older than `maxAgeMs`; returns how many went. */
    async prune(maxAgeMs = INFLIGHT_MAX_AGE_MS, now = Date.now()): Promise<number> {
      let removed = 0;
      let cursor = '0';
      do {
        const [next, entries] = await redis.hscan(key, cursor, 'COUNT', 500);
        cursor = next;
        const old: string[] = [];
        for (let i = 0; i + 1 < entries.length; i += 2) {
          const at = Number(entries[i + 1]);
          if (!Number.isFinite(at) || now - at > maxAgeMs) old.push(entries[i]!);
        }
        if (old.length > 0) removed += await redis.hdel(key, ...old);
      } while (cursor !== '0');
      return removed;
    },
  } satisfies InflightMarks & Record<string, unknown>;
}
export type Inflight = ReturnType<typeof createInflight>;
