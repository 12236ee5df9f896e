import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCalltouchStack, type CalltouchStack } from '@touchline/calltouch-delivery';
import { createMcnClient, type McnCall } from '@touchline/mcn';
import { createRegistry } from '@touchline/metrics';
import {
  addJobsAtomically,
  createBatchConsumer,
  createFlowQueue,
  replayParked,
  toNewJob,
  type BatchConsumer,
} from '@touchline/queue';
import {
  createCalltouchStandIn,
  createMcnStandIn,
  type CalltouchStandIn,
  type McnStandIn,
} from '@touchline/sandbox';
import { memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import {
  callJobSchema,
  callsFlowSpec,
  createCallsFlow,
  createMcnPoller,
  enqueueCalls,
  toCalltouchCall,
} from '../src/index.ts';

const mapping = { mcnTimeZone: 'Europe/Moscow', calltouchTimeZone: 'Europe/Moscow' };
const { redis, prefix } = useTestRedis('calls-flow');
const queue = createFlowQueue(callsFlowSpec, redis, prefix);
const callJobId = (callid: string) => callsFlowSpec.jobId({ mcn: { callid } });
let mcn: McnStandIn;
let calltouch: CalltouchStandIn;
let consumer: BatchConsumer;
let stack: CalltouchStack;
const { logger } = memoryLogger('warn');

beforeAll(async () => {
  mcn = await createMcnStandIn({
    seed: 7,
    historyDays: 0,
    callsPerDay: 0,
    liveCallsPerMinute: 0,
    malformedShare: 0,
  });
  // A fast Calltouch (the limit is raised so the test is quick; the benchmark uses the real one).
  calltouch = await createCalltouchStandIn({ rateLimit: 50, latencyMs: { min: 1, max: 5 } });
  stack = createCalltouchStack(
    {
      prefix,
      client: {
        apiUrl: calltouch.url,
        atsUrl: calltouch.url,
        siteId: 'sandbox',
        apiToken: 'sandbox',
        atsCode: 'sandbox',
        atsToken: 'sandbox',
        callsMode: 'pbx-batch',
        timeoutMs: 5_000,
      },
      limiter: { egressId: 'test', limit: 50, marginMs: 20 },
      points: {
        timeZone: 'Europe/Moscow',
        costs: { calls_import: 1, orders_create: 1, orders_update: 1, requests_export: 1 },
      },
      exhausted: { statuses: [] },
    },
    redis,
    createRegistry(),
    logger,
  );
  consumer = createBatchConsumer({
    flow: createCallsFlow({
      calltouch: stack,
      mapping,
      maxWaitMs: 200,
      registry: createRegistry(),
    }),
    connection: redis,
    prefix,
    logger,
  });
  await consumer.start();
});

afterAll(async () => {
  await consumer.close();
  await stack.close();
  await queue.close();
  await Promise.all([mcn.close(), calltouch.close()]);
});

const inbound = (calls: McnCall[]) =>
  calls.filter((c) => toCalltouchCall(c, mapping).kind === 'call');

describe('calls flow: MCN poller → batching workers → Calltouch', () => {
  it('delivers every inbound call exactly once with every field mapped', async () => {
    mcn.addCalls(250);
    const poller = createMcnPoller({
      redis,
      queue,
      client: createMcnClient({
        apiUrl: mcn.url,
        token: 'sandbox',
        accountId: 'sandbox',
        vpbxId: 'sandbox',
      }),
      prefix,
      logger,
      intervalMs: 60_000,
      mapping,
    });
    await poller.pollOnce();
    await poller.pollOnce(); // a re-read of the same day enqueues nothing new
    const expected = inbound(mcn.calls());
    expect(expected.length).toBeGreaterThan(100);
    await waitFor(() => Object.keys(calltouch.calls()).length === expected.length, {
      message: `${expected.length} calls at Calltouch`,
    });
    const received = calltouch.calls();
    expect(Object.values(received).every((r) => r.receiveCount === 1)).toBe(true);

    // One answered call, checked field by field against the raw MCN record.
    const answered = expected.find((c) => String(c.status) === 'ANSWERED' && c.dst_name);
    expect(answered).toBeDefined();
    const raw = answered as McnCall & Record<string, unknown>;
    const got = received[raw.callid]?.call;
    expect(got).toMatchObject({
      referenceId: raw.callid,
      callStartTime: String(raw['date']),
      waitingTime: Number(raw['waittime']),
      duration: Number(raw['waittime']) + Number(raw['talktime']),
      status: 'successful',
      manager: raw['dst_name'],
    });
    expect(got?.clientPhoneNumber).toMatch(/^7\d{10}$/);
    expect(got?.callCenterPhoneNumber).toMatch(/^7\d{10}$/);
    expect(calltouch.stats().requests.rateLimited).toBe(0);
  });

  it('isolates two invalid calls among 100: 98 delivered, 2 parked with reasons, replay works', async () => {
    const calls = inbound(mcn.addCalls(400, { inboundOnly: true })).slice(0, 100);
    expect(calls).toHaveLength(100);
    // Calltouch refuses a manager name longer than 50 characters.
    const bad = new Set([calls[13]!.callid, calls[71]!.callid]);
    const jobs = calls.map((c) =>
      toNewJob(callsFlowSpec, {
        mcn: bad.has(c.callid) ? { ...c, status: 'ANSWERED', dst_name: 'M'.repeat(60) } : c,
      }),
    );
    await addJobsAtomically(queue, jobs);
    await waitFor(async () => (await queue.getFailedCount()) === 2, { message: '2 parked' });
    const received = calltouch.calls();
    expect(calls.filter((c) => received[c.callid]).length).toBe(98);
    const parked = await queue.getFailed();
    expect(new Set(parked.map((j) => callJobSchema.parse(j.data).mcn.callid))).toEqual(bad);
    for (const job of parked) expect(job.failedReason, job.failedReason).toMatch(/manager/);

    // The operator fixes the data (here: the manager name) and replays.
    for (const job of parked)
      await job.updateData({
        mcn: { ...callJobSchema.parse(job.data).mcn, dst_name: 'Reception' },
      });
    expect(await replayParked(queue)).toEqual({ parked: 2, moved: 2, gone: 0 });
    await waitFor(() => [...bad].every((id) => calltouch.call(id)), {
      message: 'replayed calls delivered',
    });
    expect(await queue.getFailedCount()).toBe(0);
  });

  it('a 429 storm costs no item an attempt and fails nothing', async () => {
    const before = calltouch.stats();
    calltouch.setFaults({ stormMs: 1500 });
    const calls = inbound(mcn.addCalls(300, { inboundOnly: true }));
    await addJobsAtomically(
      queue,
      calls.map((c) => toNewJob(callsFlowSpec, { mcn: c })),
    );
    await waitFor(() => calls.every((c) => calltouch.call(c.callid)), {
      message: 'storm survivors delivered',
    });
    expect(calltouch.stats().requests.rateLimited).toBeGreaterThan(before.requests.rateLimited);
    // Calltouch records a call when the request arrives; the job completes when the answer is
    // back. Wait for the completions before reading their attempts.
    const sample = calls.slice(0, 20).map((c) => callJobId(c.callid));
    await waitFor(
      async () =>
        (await Promise.all(sample.map((id) => queue.getJobState(id)))).every(
          (state) => state === 'completed',
        ),
      { message: 'sampled jobs completed' },
    );
    expect(await queue.getFailedCount()).toBe(0);
    for (const id of sample) expect((await queue.getJob(id))?.attemptsMade).toBe(1);
  });

  it('keeps callids apart whatever they hold: x:1, x_1, x%3A1, x%253A1, x:lock are five calls', async () => {
    const ids = ['x:1', 'x_1', 'x%3A1', 'x%253A1', 'x:lock'].map((id) => `${prefix}-${id}`);
    const [template] = inbound(mcn.addCalls(20, { inboundOnly: true }));
    await enqueueCalls(
      {
        redis,
        queue,
        seenKey: `${prefix}:mcn:seen:test`,
        mapping,
        lane: () => 'live',
      },
      ids.map((callid) => ({ ...template!, callid })),
    );
    await waitFor(() => ids.every((id) => calltouch.call(id)), {
      message: 'the five calls at Calltouch',
    });
    expect(ids.map((id) => calltouch.call(id)?.receiveCount)).toEqual([1, 1, 1, 1, 1]);
  });
});
