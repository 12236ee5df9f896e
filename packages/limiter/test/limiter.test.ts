import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, useTestRedis, waitFor } from '@touchline/testing';
import { createLimiter } from '../src/index.ts';

const { prefix } = useTestRedis('limiter');
/** Blocks this process's event loop for `ms`: a real stall, as GC or a busy host makes one. */
const stall = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spinning on purpose
  }
};
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

  it('a stalled grant is not used: the process asks again, the stale departure stays logged', async () => {
    const key = `${prefix}:stale`;
    const redis = client();
    const limiter = createLimiter(redis, key, { limit: 5, maxGrantAgeMs: 50 });
    await limiter.acquire({
      // Runs right before the departure script is sent. The tick queued here runs after the
      // script has been written to Redis and before its answer can be read: the answer waits
      // 120 ms on a blocked event loop, as it would behind a long GC pause.
      beforeDeparture: async () => process.nextTick(() => stall(120)),
    });
    expect(await limiter.state()).toMatchObject({ granted: 1, stale: 1 });
    // Two departures logged for one request: the one granted before the stall and the new one.
    expect(await redis.llen(`${key}:departures`)).toBe(2);
  });
});

describe('honest departures', () => {
  it('a request written late is logged when it left, and the next departures keep their distance', async () => {
    const key = `${prefix}:late`;
    const redis = client();
    const options = { limit: 1, windowMs: 300, marginMs: 0, coldExtraMs: 0 };
    const a = createLimiter(redis, key, options);
    const b = createLimiter(client(), key, options);
    const first = await a.acquire();
    stall(150); // between the grant and the bytes leaving
    await first.sent();
    const [logged] = await redis.lrange(`${key}:departures`, 0, -1);
    expect(Number(logged)).toBeGreaterThanOrEqual(first.at + 150);
    expect(await a.state()).toMatchObject({ late: 1 });
    const second = await b.acquire();
    // Without the correction b could leave 300 ms after the grant, 150 ms after a really left.
    expect(second.at - first.at).toBeGreaterThanOrEqual(300 + 150);
  });

  it('a departure booked ahead is logged at its time and never leaves before it', async () => {
    const key = `${prefix}:booked`;
    const redis = client();
    const options = { limit: 1, windowMs: 200, marginMs: 0, coldExtraMs: 0 };
    const a = createLimiter(redis, key, options);
    const b = createLimiter(client(), key, options);
    const first = await a.acquire();
    const second = await b.acquire();
    const [seconds, micros] = await redis.time();
    expect(second.at - first.at).toBeGreaterThanOrEqual(200);
    // Resolved no sooner than the booked time, on Redis' clock.
    expect(Number(seconds) * 1000 + Number(micros) / 1000).toBeGreaterThanOrEqual(second.at);
    expect(await b.state()).toMatchObject({ granted: 2, stale: 0 });
  });

  it('a request written at once changes nothing; sent() counts once', async () => {
    const key = `${prefix}:on-time`;
    const limiter = createLimiter(client(), key, { limit: 5 });
    // The first departure of a process is cold: logged 60 ms ahead, later than any write.
    const departure = await limiter.acquire();
    await departure.sent();
    await departure.sent(performance.now() + 10_000);
    expect(await limiter.state()).toMatchObject({ late: 0 });
  });
});

describe('after a 429', () => {
  it('the spacing of every process sharing the egress widens by one step', async () => {
    const key = `${prefix}:widen`;
    const options = { limit: 2, windowMs: 200, marginMs: 0, widenStepMs: 100 };
    const a = createLimiter(client(), key, options);
    const b = createLimiter(client(), key, options);
    // Retry-After no longer than the window: the window explains the 429, no pause.
    expect(await a.penalize(200)).toBe(0);
    const state = await b.state();
    expect(state.penalties).toBe(1);
    expect(state.widenMs).toBeGreaterThan(99);
    expect(state.pausedUntil).toBe(0);
    const at: number[] = [];
    for (let i = 0; i < 3; i++) at.push((await b.acquire()).at);
    // Two per 200 ms window before; now two per 300 ms (the half-life is 20 s: no decay to speak of).
    expect((at[2] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(295);
  });

  it('429s within one span do not stack: the second pauses the fleet for Retry-After', async () => {
    const key = `${prefix}:repeat`;
    const a = createLimiter(client(), key, { limit: 5, widenStepMs: 25 });
    const b = createLimiter(client(), key, { limit: 5, widenStepMs: 25 });
    expect(await a.penalize(1000)).toBe(0);
    expect(await b.penalize(1000)).toBe(1000);
    const state = await a.state();
    expect(state).toMatchObject({ penalties: 2 });
    expect(state.widenMs).toBeLessThanOrEqual(25);
    const before = performance.now();
    await a.acquire();
    expect(performance.now() - before).toBeGreaterThanOrEqual(900);
  });

  it('a Retry-After longer than the window is honoured at once', async () => {
    const key = `${prefix}:storm`;
    const limiter = createLimiter(client(), key, { limit: 5 });
    expect(await limiter.penalize(3000)).toBe(3000);
    const controller = new AbortController();
    const pending = limiter.acquire({ signal: controller.signal });
    const { pausedUntil } = await limiter.state();
    expect(pausedUntil).toBeGreaterThan(Date.now() + 2000);
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('the widening decays back to nothing by itself', async () => {
    const key = `${prefix}:decay`;
    const limiter = createLimiter(client(), key, {
      limit: 5,
      widenStepMs: 100,
      widenHalfLifeMs: 100,
    });
    await limiter.penalize(0);
    const seen: number[] = [];
    await waitFor(
      async () => {
        seen.push((await limiter.state()).widenMs);
        return seen.at(-1) === 0;
      },
      { message: 'the widening gone' },
    );
    expect(seen[0]).toBeGreaterThan(0);
    expect([...seen].sort((x, y) => y - x)).toEqual(seen);
  });

  it('an abort still stops a wait made longer by the widening', async () => {
    const key = `${prefix}:abort-widened`;
    const limiter = createLimiter(client(), key, { limit: 1, windowMs: 1000, widenStepMs: 1000 });
    await limiter.penalize(0);
    await limiter.acquire();
    const controller = new AbortController();
    const pending = limiter.acquire({ signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
