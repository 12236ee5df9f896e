import { afterEach, describe, expect, it } from 'vitest';
import { createSlidingWindow } from '../src/index.ts';
import { call, startStandIn } from './calltouch-helpers.ts';

describe('sliding window (pure)', () => {
  it('refuses the 6th arrival within 1,000 ms and counts refused arrivals too', () => {
    const w = createSlidingWindow({ limit: 5, windowMs: 1000 });
    const results = [0, 100, 200, 300, 400, 500].map((t) => w.arrive('ip', t).allowed);
    expect(results).toEqual([true, true, true, true, true, false]);
    // At 1000 the arrival at 0 has left, but the refused one at 500 still counts: 5 in window.
    expect(w.arrive('ip', 1000).allowed).toBe(false);
    expect(w.arrive('other-ip', 1000).allowed).toBe(true);
    expect(w.maxInAnyWindow()).toBe(6);
    // Quiet for a full window: allowed again.
    expect(w.arrive('ip', 2001).allowed).toBe(true);
  });
});

describe('Calltouch stand-in rate limit', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('10 concurrent requests: exactly 5 accepted, 5 × 429 with Retry-After: 1', async () => {
    const t = await startStandIn();
    close = () => t.standIn.close();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => t.importCalls([call(i)])),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    expect(
      answers.filter((a) => a.status === 429).map((a) => a.headers.get('retry-after')),
    ).toEqual(['1', '1', '1', '1', '1']);
    const stats = t.standIn.stats();
    expect(stats.requests.rateLimited).toBe(5);
    expect(stats.maxRequestsInAnyWindow).toBe(10);
    expect(stats.calls.unique).toBe(5);
    // Admin calls are neither limited nor counted.
    for (let i = 0; i < 10; i++) expect((await t.admin('/stats')).status).toBe(200);
    expect(t.standIn.stats().requests.total).toBe(10);
  });

  it('30 requests at 4 a second: no 429', async () => {
    const t = await startStandIn({ latencyMs: { min: 20, max: 60 } });
    close = () => t.standIn.close();
    const statuses: number[] = [];
    const pending: Promise<void>[] = [];
    // Spacing is the subject of this test: send on a fixed cadence, not after answers. The
    // stand-in stamps arrivals in this same process, so a stall of the event loop on a busy host
    // delays a stamp; 250 ms apart (1,250 ms for five) leaves a quarter second for that, where
    // 210 ms left 50 ms and drew a 429 on a loaded CI host. Each request leaves at least 250 ms
    // after the one before it, even when a timer fired late.
    let last = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < 30; i++) {
      const wait = last + 250 - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      last = performance.now();
      pending.push(t.importCalls([call(i)]).then((a) => void statuses.push(a.status)));
    }
    await Promise.all(pending);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const stats = t.standIn.stats();
    expect(stats.requests.rateLimited).toBe(0);
    expect(stats.maxRequestsInAnyWindow).toBeLessThanOrEqual(5);
    expect(stats.calls.unique).toBe(30);
  });

  it('a 429 storm refuses everything until it ends or is cleared', async () => {
    const t = await startStandIn({ rateLimit: 1000 });
    close = () => t.standIn.close();
    expect((await t.admin('/faults', { stormMs: 60_000, stormRetryAfterSeconds: 3 })).status).toBe(
      200,
    );
    const answers = await Promise.all([1, 2, 3].map((i) => t.importCalls([call(i)])));
    expect(answers.map((a) => [a.status, a.headers.get('retry-after')])).toEqual([
      [429, '3'],
      [429, '3'],
      [429, '3'],
    ]);
    await t.admin('/faults', { stormMs: 0 });
    expect((await t.importCalls([call(9)])).status).toBe(200);
    expect(t.standIn.stats().requests.rateLimited).toBe(3);
  });
});
