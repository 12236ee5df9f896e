import type { Redis } from 'ioredis';
import { keyPart } from '@touchline/queue';

/** How often and since when one item has found its order busy, as Redis holds it. */
export interface BusyCount {
  /** Busy encounters in a row, this one included. */
  readonly count: number;
  /** When the first of them happened (ms since the epoch). */
  readonly sinceMs: number;
}

export interface BusyDeferrals {
  /** Counts one more busy encounter of each item; returns each item's count so far. */
  record(ids: readonly string[], nowMs?: number): Promise<Map<string, BusyCount>>;
  /** Forgets the counts of items that were settled otherwise (the run of busy deferrals ended). */
  clear(ids: readonly string[]): Promise<void>;
}

/**
 * How long a count outlives its last busy encounter. Items that are settled clear their count;
 * this only bounds the count of an item that disappeared some other way (an operator removed
 * its job), so nothing piles up.
 */
export const BUSY_COUNT_TTL_MS = 86_400_000;

/** The Redis key of one item's busy count (`keyPart`: job ids are data, see order-keys.ts). */
export const busyCountKey = (prefix: string, flow: string, id: string): string =>
  `${prefix}:${flow}:busy:${keyPart(id)}`;

/**
 * Durable counts of consecutive busy deferrals, one small hash per item (`count`, `since`)
 * under the queue prefix. They live in Redis rather than in the worker so that a restart, or
 * the item moving from one worker to another, does not restart the bound
 * (packages/orders/src/delivery.ts parks an item past it). Only "busy" deferrals are counted:
 * waits for the points budget or a 429 pause are legitimate and clear the count like any other
 * settlement, since the item held its lock to get there.
 */
export function createBusyDeferrals(
  redis: Redis,
  prefix: string,
  flow: string,
  ttlMs = BUSY_COUNT_TTL_MS,
): BusyDeferrals {
  return {
    async record(ids, nowMs = Date.now()) {
      const counts = new Map<string, BusyCount>();
      if (ids.length === 0) return counts;
      const pipeline = redis.pipeline();
      for (const id of ids) {
        const key = busyCountKey(prefix, flow, id);
        pipeline.hincrby(key, 'count', 1);
        pipeline.hsetnx(key, 'since', nowMs);
        pipeline.hget(key, 'since');
        pipeline.pexpire(key, ttlMs);
      }
      const replies = (await pipeline.exec()) ?? [];
      ids.forEach((id, i) => {
        const [countErr, count] = replies[i * 4] ?? [new Error('no reply')];
        const [sinceErr, since] = replies[i * 4 + 2] ?? [new Error('no reply')];
        if (countErr) throw countErr;
        if (sinceErr) throw sinceErr;
        counts.set(id, { count: Number(count), sinceMs: Number(since ?? nowMs) });
      });
      return counts;
    },
    async clear(ids) {
      if (ids.length === 0) return;
      // One DEL per key in one round trip: the keys need not share a Cluster slot.
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.del(busyCountKey(prefix, flow, id));
      await pipeline.exec();
    },
  };
}
