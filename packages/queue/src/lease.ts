import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/**
 * A short Redis lease so that one process at a time runs a tick, fleet-wide (the leads export,
 * the MCN poller): two replicas would otherwise read the same window twice (and the export
 * spend the points twice; the enqueue is de-duplicated either way). The lease is renewed while the tick runs and lapses
 * by itself when its holder dies, so a crashed process blocks the others for `ttlMs` at most.
 */
export function createLease(redis: Redis, key: string, ttlMs = 30_000) {
  return {
    /** Runs `fn` under the lease; returns `undefined` without running it when another holds it. */
    async run<T>(fn: () => Promise<T>): Promise<{ value: T } | undefined> {
      const token = randomUUID();
      if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
      const renew = setInterval(
        () => void redis.eval(EXTEND, 1, key, token, String(ttlMs)).catch(() => undefined),
        Math.floor(ttlMs / 3),
      );
      renew.unref();
      try {
        return { value: await fn() };
      } finally {
        clearInterval(renew);
        await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
      }
    },
  };
}
