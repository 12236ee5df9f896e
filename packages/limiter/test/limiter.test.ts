import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, useTestRedis } from '@touchline/testing';
import { createLimiter } from '../src/index.ts';

const { prefix } = useTestRedis('limiter');
const clients: Redis[] = [];
const client = () => {
  const c = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  clients.push(c);
  return c;
};
afterAll(() => {
  for (const c of clients) c.disconnect();
});

/** The largest number of departures in any window of `windowMs` (inclusive of both ends). */
const maxInWindow = (times: number[], windowMs: number) => {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) > windowMs) start++;
    max = Math.max(max, end - start + 1);
  }
  return max;
};

describe('createLimiter', () => {
  it('spaces departures of several processes evenly, never more than the limit in any window', async () => {
    const key = `${prefix}:shared`;
    // Four "processes" (separate connections), 25 requests each, limit 40 per 500 ms.
    const limiters = Array.from({ length: 4 }, () =>
      createLimiter(client(), key, { limit: 40, windowMs: 500, marginMs: 10 }),
    );
    const departures: number[] = [];
    const started = performance.now();
    await Promise.all(
      limiters.map(async (limiter) => {
        for (let i = 0; i < 25; i++) {
          await limiter.acquire();
          departures.push(performance.now());
        }
      }),
    );
    const elapsed = performance.now() - started;
    expect(departures).toHaveLength(100);
    expect(maxInWindow(departures, 500)).toBeLessThanOrEqual(40);
    // 100 departures at one per 13 ms: about 1.3 s, and not much more.
    const interval = limiters[0]?.intervalMs ?? 0;
    expect(interval).toBe(13);
    expect(elapsed).toBeGreaterThanOrEqual(99 * interval - 5);
    expect(elapsed).toBeLessThan(99 * interval * 1.5);
  });

  it('a penalty pauses every process sharing the egress', async () => {
    const key = `${prefix}:penalty`;
    const a = createLimiter(client(), key, { limit: 100, windowMs: 1000, marginMs: 0 });
    const b = createLimiter(client(), key, { limit: 100, windowMs: 1000, marginMs: 0 });
    await a.acquire();
    const before = performance.now();
    await a.penalize(300);
    await b.acquire();
    expect(performance.now() - before).toBeGreaterThanOrEqual(290);
    expect(await b.state()).toMatchObject({ granted: 2, penalties: 1 });
  });

  it('keeps separate egress ids apart', async () => {
    const slow = createLimiter(client(), `${prefix}:egress-a`, { limit: 1, windowMs: 1000 });
    const other = createLimiter(client(), `${prefix}:egress-b`, { limit: 1, windowMs: 1000 });
    await slow.acquire();
    const before = performance.now();
    await other.acquire();
    expect(performance.now() - before).toBeLessThan(200);
  });

  it('can be aborted while waiting', async () => {
    const limiter = createLimiter(client(), `${prefix}:abort`, { limit: 1, windowMs: 5000 });
    await limiter.acquire();
    const controller = new AbortController();
    const pending = limiter.acquire({ signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
