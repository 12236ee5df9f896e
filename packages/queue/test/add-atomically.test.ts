import { afterAll, describe, expect, it } from 'vitest';
import { useTestRedis } from '@touchline/testing';
import { addJobsAtomically, createFlowQueue, retryingJobOptions } from '../src/index.ts';

const { redis: connection, prefix } = useTestRedis('atomic');
const queue = createFlowQueue(
  {
    name: 'orders',
    jobOptions: retryingJobOptions({ firstDelayMs: 1_000, keepCompleted: { age: 60, count: 10 } }),
  },
  connection,
  prefix,
);
afterAll(async () => {
  await queue.close();
});

describe('addJobsAtomically', () => {
  it('adds every job in one transaction and ignores ids that exist', async () => {
    const jobs = Array.from({ length: 50 }, (_, i) => ({
      name: 'deal',
      data: { n: i },
      opts: { jobId: `order-${i}` },
    }));
    await addJobsAtomically(queue, jobs);
    await addJobsAtomically(queue, jobs.slice(0, 10));
    expect(await queue.getWaitingCount()).toBe(50);
    const job = await queue.getJob('order-7');
    expect(job?.data).toEqual({ n: 7 });
    expect(job?.opts.attempts).toBe(13);
  });

  it('adds nothing when Redis refuses part of the transaction', async () => {
    const before = await queue.getWaitingCount();
    const broken = [
      { name: 'deal', data: { n: 1 }, opts: { jobId: 'ok-1' } },
      // A custom job id may not be an integer: BullMQ rejects it before anything is sent.
      { name: 'deal', data: { n: 2 }, opts: { jobId: '12345' } },
    ];
    await expect(addJobsAtomically(queue, broken)).rejects.toThrow();
    expect(await queue.getWaitingCount()).toBe(before);
  });
});
