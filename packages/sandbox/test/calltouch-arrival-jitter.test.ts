import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@touchline/testing';
import { createArrivalDelay } from '../src/index.ts';
import { call, startStandIn } from './calltouch-helpers.ts';

describe('arrival jitter (pure)', () => {
  it('draws whole ms in [0, jitter], the same for the same seed', () => {
    const draws = (seed: number) => {
      const next = createArrivalDelay(20, seed);
      return Array.from({ length: 10_000 }, () => next());
    };
    const a = draws(7);
    expect(draws(7)).toEqual(a);
    expect(draws(8)).not.toEqual(a);
    expect(new Set(a)).toEqual(new Set(Array.from({ length: 21 }, (_, i) => i)));
    const mean = a.reduce((sum, d) => sum + d, 0) / a.length;
    expect(mean).toBeGreaterThan(9.5);
    expect(mean).toBeLessThan(10.5);
  });
});

describe('Calltouch stand-in with arrival jitter', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('the window sees a request when its delay is over: a later request can overtake it', async () => {
    // A seed whose first delay is long and second short, found from the same draws the
    // stand-in makes (deterministic: the n-th request to come in gets the n-th delay).
    let seed = 1;
    for (; ; seed++) {
      const next = createArrivalDelay(2_000, seed);
      if (next() >= 1_500 && next() <= 300) break;
    }
    const t = await startStandIn({ arrivalJitterMs: 2_000, seed, rateLimit: 1, windowMs: 60_000 });
    close = () => t.standIn.close();
    const first = t.importCalls([call(1)]);
    // The first request has come in and drawn its delay; only then is the second sent.
    await waitFor(() => t.standIn.stats().requests.total === 1, {
      message: 'the first request in',
    });
    const second = t.importCalls([call(2)]);
    // One request per minute: whichever reaches the window first is accepted. The second,
    // sent later but delayed less, gets there first, as on a network that reorders.
    expect((await second).status).toBe(200);
    expect((await first).status).toBe(429);
    expect(Object.keys(t.standIn.calls())).toEqual(['ref-2']);
  });
});
