import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { callsFlowSpec } from '@touchline/calls';
import type { McnCall } from '@touchline/mcn';
import { addJobsAtomically, createFlowQueue, toNewJob } from '@touchline/queue';
import {
  TEST_REDIS_URL,
  deleteKeys,
  startRedisServer,
  stop,
  waitFor,
  type RedisServer,
} from '@touchline/testing';
import { importable, metric, startStack, type Stack } from './stack.ts';

let stack: Stack | undefined;
let redisServer: RedisServer | undefined;
afterEach(async () => {
  await stack?.close();
  if (stack) await deleteKeys(TEST_REDIS_URL, stack.prefix).catch(() => undefined);
  await redisServer?.stop();
  stack = undefined;
  redisServer = undefined;
});

async function enqueue(redisUrl: string, prefix: string, calls: McnCall[]) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = createFlowQueue(callsFlowSpec, redis, prefix);
  await addJobsAtomically(
    queue,
    calls.map((c) => toNewJob(callsFlowSpec, { mcn: c })),
  );
  await queue.close();
  redis.disconnect();
}

describe('calls: crash safety with the roles as separate processes', () => {
  it('SIGKILL of a worker mid-request loses nothing and every re-send is counted as a duplicate', async () => {
    // Slow answers (0.6–0.9 s) so that the kill lands while requests are in flight.
    stack = await startStack(TEST_REDIS_URL, {
      calltouch: { latencyMs: { min: 600, max: 900 } },
      mcn: { historyDays: 0, liveCallsPerMinute: 0, malformedShare: 0 },
    });
    const calls = importable(stack.sandbox.mcn.addCalls(1200, { inboundOnly: true }));
    await enqueue(TEST_REDIS_URL, stack.prefix, calls);
    const first = await stack.start('worker');
    const { calltouch } = stack.sandbox;
    await waitFor(() => calltouch.stats().requests.total >= 3, { message: 'requests flowing' });
    first.child.kill('SIGKILL');
    await stop(first.child);
    const delivered = Object.keys(calltouch.calls()).length;
    expect(delivered).toBeLessThan(calls.length);

    const second = await stack.start('worker');
    await waitFor(() => Object.keys(calltouch.calls()).length === calls.length, {
      timeoutMs: 60_000,
      message: 'every call delivered after the restart',
    });
    const stats = calltouch.stats();
    const counted = await metric(second.metricsPort, 'touchline_calltouch_items_total', {
      endpoint: 'calls_import',
      outcome: 'duplicate',
    });
    // Calls that reached Calltouch twice were all counted; counted ones may also include
    // requests that left but never arrived (the unavoidable window, both ways).
    // With answers this slow, requests were in flight when the worker died.
    expect(stats.calls.duplicates).toBeGreaterThan(0);
    expect(stats.calls.duplicates).toBeLessThanOrEqual(counted);
    expect(stats.calls.unique).toBe(calls.length);
    expect(stats.requests.rateLimited).toBe(0);
  });

  it('Redis killed and restarted with AOF: nothing lost', async () => {
    redisServer = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
    stack = await startStack(redisServer.url, {
      calltouch: { latencyMs: { min: 20, max: 60 } },
      mcn: { historyDays: 0, liveCallsPerMinute: 0, malformedShare: 0 },
    });
    const calls = importable(stack.sandbox.mcn.addCalls(1500, { inboundOnly: true }));
    await enqueue(redisServer.url, stack.prefix, calls);
    await stack.start('worker');
    const { calltouch } = stack.sandbox;
    await waitFor(() => Object.keys(calltouch.calls()).length >= 300, {
      message: 'first calls delivered',
    });
    await redisServer.kill();
    await redisServer.restart();
    await waitFor(() => Object.keys(calltouch.calls()).length === calls.length, {
      timeoutMs: 60_000,
      message: 'every call delivered after the Redis restart',
    });
    expect(calltouch.stats().calls.unique).toBe(calls.length);
  });

  it('MCN down for a while with calls arriving meanwhile: no gap', async () => {
    stack = await startStack(TEST_REDIS_URL, {
      calltouch: { latencyMs: { min: 20, max: 60 } },
      mcn: { historyDays: 0, callsPerDay: 0, liveCallsPerMinute: 0, malformedShare: 0 },
    });
    const { mcn, calltouch } = stack.sandbox;
    const before = importable(mcn.addCalls(50, { inboundOnly: true }));
    await stack.start('worker');
    await stack.start('mcn-poller', { MCN_POLL_INTERVAL_SECONDS: '1' });
    await waitFor(() => before.every((c) => calltouch.call(c.callid)), {
      message: 'calls before the outage',
    });
    mcn.setDown(true);
    const during = importable(mcn.addCalls(80, { inboundOnly: true }));
    await waitFor(() => mcn.stats().requests.unavailable >= 2, {
      message: 'the poller meets the outage',
    });
    await waitFor(() => stack!.logs.some((l) => l.includes('MCN poll failed')), {
      message: 'outage logged',
    });
    mcn.setDown(false);
    const after = importable(mcn.addCalls(30, { inboundOnly: true }));
    await waitFor(() => [...during, ...after].every((c) => calltouch.call(c.callid)), {
      timeoutMs: 30_000,
      message: 'calls from during and after the outage',
    });
    expect(calltouch.stats().calls.duplicates).toBe(0);
  });

  it('SIGTERM during a 429 storm: exits 0 in time, hands the items back, and nothing is a duplicate', async () => {
    stack = await startStack(TEST_REDIS_URL, {
      calltouch: { latencyMs: { min: 20, max: 60 } },
      mcn: { historyDays: 0, liveCallsPerMinute: 0, malformedShare: 0 },
    });
    const { calltouch } = stack.sandbox;
    const calls = importable(stack.sandbox.mcn.addCalls(600, { inboundOnly: true }));
    await enqueue(TEST_REDIS_URL, stack.prefix, calls);
    // Every request answered 429 for a minute: the worker keeps waiting out Retry-After.
    calltouch.setFaults({ stormMs: 60_000, stormRetryAfterSeconds: 1 });
    const timeoutMs = 5_000;
    const first = await stack.start('worker', { CALLTOUCH_TIMEOUT_MS: String(timeoutMs) });
    await waitFor(() => calltouch.stats().requests.rateLimited >= 5, {
      message: 'the worker meets the storm',
    });
    const stoppedAt = Date.now();
    const exited = new Promise<number | null>((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGTERM');
    const code = await exited;
    const tookMs = Date.now() - stoppedAt;
    // The shutdown limit follows the request timeout (a request in flight may take that long).
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(timeoutMs + 10_000);
    expect(stack.logs.some((l) => /did not stop in time/.test(l))).toBe(false);

    // Nothing claimed, nothing marked in flight: every 429 was a definite answer.
    const redis = new Redis(TEST_REDIS_URL);
    try {
      expect(await redis.hlen(`${stack.prefix}:calls:inflight`)).toBe(0);
      expect(await redis.llen(`${stack.prefix}:calls:active`)).toBe(0);
    } finally {
      redis.disconnect();
    }

    calltouch.setFaults({ clear: true });
    const second = await stack.start('worker');
    await waitFor(() => Object.keys(calltouch.calls()).length === calls.length, {
      timeoutMs: 60_000,
      message: 'every call delivered after the storm',
    });
    expect(calltouch.stats().calls.duplicates).toBe(0);
    expect(
      await metric(second.metricsPort, 'touchline_calltouch_items_total', {
        endpoint: 'calls_import',
        outcome: 'duplicate',
      }),
    ).toBe(0);
  });
});
