import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '@touchline/metrics';
import { createInflight } from '@touchline/queue';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { memoryLogger, useTestRedis } from '@touchline/testing';
import {
  NotSentError,
  RateLimitedDeliveryError,
  TransientDeliveryError,
  createCalltouchStack,
  sendBatch,
  toUnsettledOutcome,
  type CalltouchStack,
} from '../src/index.ts';

const db = useTestRedis('send-batch');
let standIn: CalltouchStandIn;
const stacks: CalltouchStack[] = [];
beforeAll(async () => {
  standIn = await createCalltouchStandIn({
    historyDays: 0,
    requestsPerDay: 0,
    rateLimit: 50,
    latencyMs: { min: 1, max: 5 },
  });
});
afterAll(async () => {
  for (const stack of stacks) await stack.close();
  await standIn.close();
});

const call = (n: number) => ({
  referenceId: `sb-${n}-${Math.random().toString(36).slice(2, 8)}`,
  clientPhoneNumber: '79161234567',
  callCenterPhoneNumber: '74951234567',
  callStartTime: '2026-11-24 10:00:00',
  waitingTime: 5,
  duration: 65,
  status: 'successful' as const,
});

/** A stack on a fresh prefix, items with ids, and a delivery context of the test's own. */
function setup(timeoutMs = 2_000) {
  const prefix = db.newPrefix();
  const stack = createCalltouchStack(
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
        timeoutMs,
      },
      limiter: { egressId: 'test', limit: 50, marginMs: 5 },
    },
    db.redis,
    createRegistry(),
    memoryLogger().logger,
  );
  stacks.push(stack);
  const inflight = createInflight(db.redis, `${prefix}:calls:inflight`);
  const controller = new AbortController();
  const ctx = { signal: controller.signal, inflight };
  const items = [0, 1, 2].map((n) => ({ id: `i${n}`, call: call(n) }));
  const send = (options: { maxRateLimitHoldMs?: number } = {}) =>
    sendBatch(items, (b) => stack.client.importCalls(b.map((i) => i.call)), ctx, {
      limiter: stack.limiter,
      endpoint: 'calls_import',
      exhaustion: stack.exhaustion,
      ...options,
    });
  const marked = async () => (await inflight.marked(items.map((i) => i.id))).size;
  return { stack, controller, items, send, marked };
}

describe('sendBatch', () => {
  it('accepted: ok, the marks of the departure stay until the items are settled', async () => {
    standIn.setFaults({ clear: true });
    const s = setup();
    await expect(s.send()).resolves.toMatchObject({ ok: true });
    expect(await s.marked()).toBe(3);
  });

  it('refused (4xx): the reason for bisection, and nothing left marked', async () => {
    standIn.setFaults({ clear: true, nextStatuses: [400] });
    const s = setup();
    const result = await s.send();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/HTTP 400/);
    expect(await s.marked()).toBe(0);
  });

  it('a payload Calltouch would refuse: not sent at all, refused with the reason', async () => {
    standIn.setFaults({ clear: true });
    const s = setup();
    const before = standIn.stats().requests.total;
    s.items[1]!.call.clientPhoneNumber = '1';
    const result = await s.send();
    expect(!result.ok && result.reason).toMatch(/not sent, Calltouch would refuse it/);
    expect(standIn.stats().requests.total).toBe(before);
    expect(await s.marked()).toBe(0);
  });

  it('a 5xx: a transient error, and nothing left marked (the answer was definite)', async () => {
    standIn.setFaults({ clear: true, errorShare: 1, errorStatus: 502 });
    const s = setup();
    const err = await s.send().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(toUnsettledOutcome(err).kind).toBe('retry');
    expect(await s.marked()).toBe(0);
    standIn.setFaults({ clear: true });
  });

  it('a timeout: transient, and the marks stay (it may have arrived)', async () => {
    standIn.setFaults({ clear: true, hangShare: 1 });
    const s = setup(200);
    const err = await s.send().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(await s.marked()).toBe(3);
    standIn.setFaults({ clear: true });
  });

  it('a 429: the fleet pauses and the same request goes again, no attempt spent', async () => {
    standIn.setFaults({ clear: true, stormMs: 600, stormRetryAfterSeconds: 1 });
    const s = setup();
    await expect(s.send()).resolves.toMatchObject({ ok: true });
    expect((await s.stack.limiter.state()).penalties).toBeGreaterThanOrEqual(1);
  });

  it('429s longer than the hold: deferred, not retried', async () => {
    standIn.setFaults({ clear: true, stormMs: 10_000, stormRetryAfterSeconds: 2 });
    const s = setup();
    const err = await s.send({ maxRateLimitHoldMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitedDeliveryError);
    expect(toUnsettledOutcome(err).kind).toBe('deferred');
    expect(await s.marked()).toBe(0);
    standIn.setFaults({ clear: true });
  });

  it('a shutdown during a 429 pause: not sent, the items go back untouched', async () => {
    standIn.setFaults({ clear: true, stormMs: 10_000, stormRetryAfterSeconds: 5 });
    const s = setup();
    const pending = s.send().catch((e: unknown) => e);
    // Stop once the first 429 has come back.
    for (let i = 0; i < 200 && (await s.stack.limiter.state()).penalties === 0; i++)
      await new Promise((resolve) => setImmediate(resolve));
    s.controller.abort(new Error('shutting down'));
    const err = await pending;
    expect(err).toBeInstanceOf(NotSentError);
    expect(toUnsettledOutcome(err).kind).toBe('released');
    expect(await s.marked()).toBe(0);
    standIn.setFaults({ clear: true });
  });
});
