import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import {
  addJobsAtomically,
  bisect,
  createBatchConsumer,
  createFlowQueue,
  laneJobOptions,
  retryingJobOptions,
  toJobId,
  type BatchConsumer,
  type BatchItem,
  type BatchSettings,
  type FlowDefinition,
  type ItemOutcome,
} from '../src/index.ts';

const db = useTestRedis('batch');
const connection = db.redis;
let consumers: BatchConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.map((c) => c.close()));
  consumers = [];
});

const itemSchema = z.object({ n: z.number() });
type Item = z.output<typeof itemSchema>;

/** A throwaway flow: numbered items, delivered by whatever the test says. */
const thingsFlow = {
  name: 'things',
  jobName: 'thing',
  description: 'numbered test items',
  schema: itemSchema,
  jobOptions: retryingJobOptions({
    firstDelayMs: 1_000,
    keepCompleted: { age: 3_600, count: 10_000 },
  }),
  jobId: (item: Item) => toJobId('thing', String(item.n)),
};

async function setup(count: number) {
  const prefix = db.newPrefix();
  const queue = createFlowQueue(thingsFlow, connection, prefix);
  await addJobsAtomically(
    queue,
    Array.from({ length: count }, (_, i) => ({
      name: 'thing',
      data: { n: i },
      opts: { jobId: `c${i}` },
    })),
  );
  return { prefix, queue };
}

type ConsumeOptions = Partial<BatchSettings> &
  Pick<BatchSettings, 'maxWaitMs'> &
  Partial<Pick<FlowDefinition<Item>, 'deliver' | 'onOutcome'>>;

/** Starts a consumer of the throwaway flow under `prefix`; every delivered item succeeds unless
 * `deliver` says otherwise. Returns the sizes of the batches it was handed. */
async function consume(prefix: string, options: ConsumeOptions) {
  const sizes: number[] = [];
  const { deliver, onOutcome, ...batch } = options;
  const consumer = createBatchConsumer<Item>({
    flow: {
      ...thingsFlow,
      batch: { max: 100, concurrency: 1, ...batch },
      async deliver(items, ctx) {
        sizes.push(items.length);
        return deliver
          ? deliver(items, ctx)
          : new Map(items.map((i) => [i.id, { kind: 'delivered' }]));
      },
      ...(onOutcome ? { onOutcome } : {}),
    },
    connection,
    prefix,
    logger: memoryLogger().logger,
  });
  consumers.push(consumer);
  await consumer.start();
  return sizes;
}

describe('createBatchConsumer', () => {
  it('packs a backlog into full batches and completes every item once', async () => {
    const { prefix, queue } = await setup(1000);
    const seen = new Set<number>();
    const sizes = await consume(prefix, {
      maxWaitMs: 200,
      concurrency: 4,
      async deliver(items) {
        for (const i of items) {
          expect(seen.has(i.data.n)).toBe(false);
          seen.add(i.data.n);
        }
        return new Map(items.map((i) => [i.id, { kind: 'delivered' }]));
      },
    });
    await waitFor(async () => (await queue.getCompletedCount()) === 1000, {
      message: '1000 completed',
    });
    expect(sizes.every((s) => s === 100)).toBe(true);
    expect(seen.size).toBe(1000);
    await queue.close();
  });

  it('takes live items ahead of a backlog: the next batch fills from the live lane first', async () => {
    const prefix = db.newPrefix();
    const queue = createFlowQueue(thingsFlow, connection, prefix);
    const jobs = (from: number, count: number, lane: 'live' | 'backlog') =>
      Array.from({ length: count }, (_, i) => ({
        name: 'thing',
        data: { n: from + i },
        opts: { jobId: `c${from + i}`, ...laneJobOptions(lane) },
      }));
    await addJobsAtomically(queue, jobs(0, 1_000, 'backlog'));
    const batches: { n: number; lane: string }[][] = [];
    await consume(prefix, {
      maxWaitMs: 200,
      async deliver(items) {
        batches.push(items.map((i) => ({ n: i.data.n, lane: i.lane })));
        // Five calls end while the first batch of the backlog is on its way.
        if (batches.length === 1) await addJobsAtomically(queue, jobs(10_000, 5, 'live'));
        return new Map(items.map((i) => [i.id, { kind: 'delivered' }]));
      },
    });
    await waitFor(async () => (await queue.getCompletedCount()) === 1_005, {
      message: 'everything delivered',
    });
    const live = batches.flat().filter((i) => i.n >= 10_000);
    expect(live.map((i) => i.lane)).toEqual(['live', 'live', 'live', 'live', 'live']);
    // The live items went in the batches right after the one in flight (one more batch may
    // have been claimed meanwhile), not after the 900 backlog items left.
    const firstLive = batches.findIndex((b) => b.some((i) => i.n >= 10_000));
    expect(firstLive).toBeGreaterThan(0);
    expect(firstLive).toBeLessThanOrEqual(2);
    expect(batches[firstLive]!.slice(0, 5).every((i) => i.lane === 'live')).toBe(true);
    // The backlog still drains in full batches: the live items top up with backlog items.
    expect(batches.slice(0, -1).every((b) => b.length === 100)).toBe(true);
    await queue.close();
  });

  it('sends a partial batch after maxWaitMs when traffic is light', async () => {
    const { prefix, queue } = await setup(3);
    const sizes = await consume(prefix, { maxWaitMs: 300 });
    await waitFor(async () => (await queue.getCompletedCount()) === 3);
    expect(sizes).toEqual([3]);
    await queue.close();
  });

  it('with an idle gap, a partial batch leaves once no item has come for that long', async () => {
    const { prefix, queue } = await setup(3);
    // maxWaitMs is far beyond the wait below: only the gap can release the batch in time.
    const sizes = await consume(prefix, { maxWaitMs: 120_000, idleGapMs: 1_000 });
    // Seven more arrive one by one after the consumer has started: they join the same batch.
    await waitFor(async () => (await queue.getActiveCount()) === 3, { message: '3 claimed' });
    for (let n = 3; n < 10; n++) await queue.add('thing', { n }, { jobId: `c${n}` });
    await waitFor(async () => (await queue.getCompletedCount()) === 10, { timeoutMs: 15_000 });
    expect(sizes).toEqual([10]);
    await queue.close();
  });

  it('parks rejected and invalid items with their reason, retries transient ones', async () => {
    const { prefix, queue } = await setup(10);
    await queue.add('thing', { bogus: true }, { jobId: 'bad-data' });
    let attempts = 0;
    await consume(prefix, {
      maxWaitMs: 100,
      async deliver(items) {
        attempts += 1;
        return new Map(
          items.map((i): [string, ItemOutcome] => {
            if (i.data.n === 3) return [i.id, { kind: 'rejected', reason: 'Calltouch: bad phone' }];
            if (i.data.n === 5 && i.attemptsMade === 0)
              return [i.id, { kind: 'retry', reason: 'HTTP 503' }];
            return [i.id, { kind: 'delivered' }];
          }),
        );
      },
    });
    await waitFor(async () => (await queue.getCompletedCount()) === 9, { timeoutMs: 15_000 });
    const failed = await queue.getFailed();
    expect(failed.map((j) => [j.id, j.failedReason]).sort()).toEqual([
      ['bad-data', expect.stringContaining('invalid job data') as string],
      ['c3', 'Calltouch: bad phone'],
    ]);
    // BullMQ counts finished attempts: one failure, then the success.
    expect((await queue.getJob('c5'))?.attemptsMade).toBe(2);
    expect(attempts).toBeGreaterThanOrEqual(2);
    await queue.close();
  });

  it('counts re-delivery after an unknown outcome as a duplicate', async () => {
    const { prefix, queue } = await setup(5);
    const observed: [BatchItem<Item>, ItemOutcome][] = [];
    let first = true;
    await consume(prefix, {
      maxWaitMs: 100,
      async deliver(items, ctx) {
        await ctx.inflight.mark(items.map((i) => i.id));
        if (first) {
          first = false; // the request left, the answer never came (timeout)
          return new Map(items.map((i) => [i.id, { kind: 'retry', reason: 'timeout' }]));
        }
        return new Map(
          items.map((i) => [i.id, { kind: 'delivered', duplicate: i.maybeDelivered }]),
        );
      },
      onOutcome: (item, outcome) => observed.push([item, outcome]),
    });
    await waitFor(async () => (await queue.getCompletedCount()) === 5, { timeoutMs: 15_000 });
    const delivered = observed.filter(([, o]) => o.kind === 'delivered');
    expect(delivered).toHaveLength(5);
    expect(delivered.every(([item]) => item.maybeDelivered)).toBe(true);
    // The marks are cleared after the items settle (a crash in between must still count the
    // re-send), so they go a moment after the last completion.
    await waitFor(async () => (await connection.hlen(`${prefix}:things:inflight`)) === 0, {
      message: 'in-flight marks cleared',
    });
    await queue.close();
  });
});

describe('bisect', () => {
  it('isolates two bad items among 100 with few requests', async () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}` }));
    const bad = new Set(['i17', 'i80']);
    let requests = 0;
    const outcomes = new Map<string, ItemOutcome>();
    await bisect(
      items,
      async (batch) => {
        requests += 1;
        const hit = batch.find((i) => bad.has(i.id));
        return hit ? { ok: false, kind: 'rejected', reason: `bad ${hit.id}` } : { ok: true };
      },
      (item, outcome) => outcomes.set(item.id, outcome),
    );
    expect(outcomes.size).toBe(100);
    expect(outcomes.get('i17')).toEqual({ kind: 'rejected', reason: 'bad i17' });
    expect(outcomes.get('i80')).toEqual({ kind: 'rejected', reason: 'bad i80' });
    expect([...outcomes.values()].filter((o) => o.kind === 'delivered')).toHaveLength(98);
    // About 2·k·log2(n) requests for k bad items among n (here 23), instead of n.
    expect(requests).toBeLessThanOrEqual(25);
  });
});
