import { afterAll, beforeAll, afterEach, describe, expect, it } from 'vitest';
import { createRegistry } from '@touchline/metrics';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { memoryLogger, useTestRedis } from '@touchline/testing';
import { createCalltouchStack, sendRequest, type CalltouchStack } from '../src/index.ts';

const { redis, prefix } = useTestRedis('ct-rate');
let standIn: CalltouchStandIn;
const stacks: CalltouchStack[] = [];

beforeAll(async () => {
  standIn = await createCalltouchStandIn({ latencyMs: { min: 0, max: 5 } });
});
afterEach(() => standIn.reset());
afterAll(async () => {
  for (const stack of stacks) await stack.close();
  await standIn.close();
});

function stack(egressId: string): CalltouchStack {
  const created = createCalltouchStack(
    {
      prefix,
      client: {
        apiUrl: standIn.url,
        atsUrl: standIn.url,
        siteId: 'sandbox',
        apiToken: 'sandbox',
        atsCode: 'sandbox',
        atsToken: 'sandbox',
        callsMode: 'pbx-batch',
        timeoutMs: 5_000,
      },
      limiter: { egressId, limit: 5, marginMs: 25 },
    },
    redis,
    createRegistry(),
    memoryLogger('warn').logger,
  );
  stacks.push(created);
  return created;
}

const call = (n: number) => ({
  referenceId: `rl-${n}`,
  clientPhoneNumber: `7999000${String(n).padStart(4, '0')}`,
  callCenterPhoneNumber: '74950000000',
  callStartTime: '2026-11-24 10:00:00',
  waitingTime: 5,
  duration: 65,
  status: 'successful' as const,
});

describe('the Calltouch stack and the shared limiter', () => {
  it('logs every warm departure when its request was written, not when it was granted', async () => {
    const { client, limiter } = stack('honest');
    for (let i = 0; i < 3; i++) await client.importCalls([call(i)]);
    // The first request of a process is logged as cold (60 ms ahead, later than its write);
    // the two after it left a little after their grant and were corrected to when they did.
    expect(await limiter.state()).toMatchObject({ granted: 3, late: 2, stale: 0 });
  });

  it('a 429 widens the spacing of the egress once, and the same request goes again', async () => {
    const { client, limiter } = stack('storm');
    // Calltouch refuses everything for a moment, with the strict window's Retry-After: 1.
    standIn.setFaults({ stormMs: 600, stormRetryAfterSeconds: 1 });
    const rateLimited: number[] = [];
    await sendRequest({}, () => client.importCalls([call(10)]), {
      limiter,
      endpoint: 'calls_import',
      onRateLimited: (ms) => rateLimited.push(ms),
    });
    expect(standIn.calls()['rl-10']?.receiveCount).toBe(1);
    expect(rateLimited.length).toBeGreaterThan(0);
    expect(rateLimited[0]).toBe(1000);
    const state = await limiter.state();
    expect(state.penalties).toBe(rateLimited.length);
    // One burst of 429s is one widening (25 ms), not one per 429.
    expect(state.widenMs).toBeGreaterThan(20);
    expect(state.widenMs).toBeLessThanOrEqual(25);
  });
});
