import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import {
  addJobsAtomically,
  createBatchConsumer,
  createFlowQueue,
  createInflight,
  INFLIGHT_MAX_AGE_MS,
  replayParked,
  retryingJobOptions,
  toJobId,
  toNewJob,
  type BatchConsumer,
  type FlowDefinition,
} from '../src/index.ts';

const db = useTestRedis('replay');
let consumers: BatchConsumer[] = [];
afterEach(async () => {
  await Promise.all(consumers.map((c) => c.close()));
  consumers = [];
});

const schema = z.object({ n: z.number() });
type Item = z.output<typeof schema>;

/** A flow whose every delivery is refused: each item is parked at once, every time. */
const refusing = (): FlowDefinition<Item> => ({
  name: 'refused',
  jobName: 'item',
  description: 'always refused',
  schema,
  jobOptions: retryingJobOptions({ firstDelayMs: 1_000, keepCompleted: { age: 60, count: 100 } }),
  jobId: (item) => toJobId('item', String(item.n)),
  batch: { max: 100, maxWaitMs: 20, concurrency: 1 },
  async deliver(items) {
    return new Map(items.map((i) => [i.id, { kind: 'rejected', reason: 'still refused' }]));
  },
});

describe('replayParked', () => {
  it('replays exactly the items parked when it starts, each once, even when they fail again at once', async () => {
    const prefix = db.newPrefix();
    const flow = refusing();
    const queue = createFlowQueue(flow, db.redis, prefix);
    const consumer = createBatchConsumer({
      flow,
      connection: db.redis,
      prefix,
      logger: memoryLogger().logger,
    });
    consumers.push(consumer);
    await consumer.start();
    await addJobsAtomically(
      queue,
      Array.from({ length: 30 }, (_, n) => toNewJob(flow, { n })),
    );
    await waitFor(async () => (await queue.getFailedCount()) === 30, { message: '30 parked' });
    // The consumer keeps refusing: a replay that re-read the failed set would never end.
    const summary = await replayParked(queue, 7);
    expect(summary).toEqual({ parked: 30, moved: 30, gone: 0 });
    await waitFor(async () => (await queue.getFailedCount()) === 30, { message: 'parked again' });
    // A replayed item goes to the backlog lane: what is live comes first.
    const job = await queue.getJob(toJobId('item', '0'));
    expect(job?.priority).toBeGreaterThan(0);
    await queue.close();
  });
});

describe('in-flight marks', () => {
  it('are pruned once older than a week, so marks of items removed or parked cannot pile up', async () => {
    const key = `${db.newPrefix()}:things:inflight`;
    const marks = createInflight(db.redis, key);
    await marks.mark(['fresh']);
    const weekAgo = Date.now() - INFLIGHT_MAX_AGE_MS - 60_000;
    await db.redis.hset(key, { old: weekAgo, garbage: 'not a time' });
    expect(await marks.prune()).toBe(2);
    expect(await db.redis.hkeys(key)).toEqual(['fresh']);
  });
});
