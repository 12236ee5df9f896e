import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCoalescedTrigger } from '../src/index.ts';

afterEach(() => {
  vi.useRealTimers();
});

/** A trigger on fake timers whose runs resolve with `cost()`, recording when each started. */
function setup(cost: () => number, options: { minGapMs: number; perMinute?: number }) {
  vi.useFakeTimers({ now: 0 });
  const starts: number[] = [];
  const trigger = createCoalescedTrigger(
    async () => {
      starts.push(Date.now());
      return cost();
    },
    {
      minGapMs: options.minGapMs,
      ...(options.perMinute ? { gapAfter: (n: number) => (n * 60_000) / options.perMinute! } : {}),
    },
  );
  return { trigger, starts };
}

describe('a coalesced trigger', () => {
  it('turns a burst into one run now and one after the gap', async () => {
    const { trigger, starts } = setup(() => 1, { minGapMs: 1_000 });
    for (let i = 0; i < 500; i++) trigger.request();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 500; i++) trigger.request();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(starts).toEqual([0, 1_000]);
    await trigger.close();
  });

  it('spaces runs by their cost: n requests at a budget per minute', async () => {
    // Each run costs 20 requests; at 120 a minute the next may start 10 s after: in a minute,
    // six runs, 120 requests.
    const { trigger, starts } = setup(() => 20, { minGapMs: 1_000, perMinute: 120 });
    trigger.request();
    const asking = setInterval(() => trigger.request(), 100);
    await vi.advanceTimersByTimeAsync(59_999);
    clearInterval(asking);
    expect(starts).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000]);
    await trigger.close();
  });

  it('a cheap run keeps the least gap; a failed run does not lengthen it', async () => {
    let n = 0;
    vi.useFakeTimers({ now: 0 });
    const starts: number[] = [];
    const trigger = createCoalescedTrigger(
      async () => {
        starts.push(Date.now());
        n += 1;
        if (n === 2) throw new Error('MCN down');
        return 1;
      },
      { minGapMs: 1_000, gapAfter: (cost: number) => (cost * 60_000) / 120 },
    );
    trigger.request();
    const asking = setInterval(() => trigger.request(), 100);
    await vi.advanceTimersByTimeAsync(3_500);
    clearInterval(asking);
    expect(starts).toEqual([0, 1_000, 2_000, 3_000]);
    await trigger.close();
  });
});
