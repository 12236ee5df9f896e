import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import {
  addJobsAtomically,
  createBatchConsumer,
  createFlowQueue,
  retryingJobOptions,
  toJobId,
  type BatchConsumer,
  type FlowDefinition,
  type ItemOutcome,
} from '../src/index.ts';

/**
 * What Bull Board shows for a parked item (issue 16, item 18): its reason, and not a stack trace
 * of the batch consumer with the install's absolute file paths beneath it — a parked call is a
 * data problem, not a code failure. An unexpected exception in `deliver` is a code failure: its
 * own stack trace stays with the item.
 */
const { redis: connection, prefix } = useTestRedis('parked');
let consumer: BatchConsumer | undefined;
afterEach(async () => {
  await consumer?.close();
  consumer = undefined;
});

const schema = z.object({ n: z.number() });
type Item = z.output<typeof schema>;
const REASON = 'cannot map the MCN call: no called number (did="", did_num="")';
/** A file path as a stack frame prints it: `/…/x.ts:12:3` or `file:///…`. */
const FILE_PATH = /(\/[^\s/]+)+\.[cm]?[jt]s\b|file:\/\//;

async function run(
  name: string,
  jobs: readonly { id: string; data: unknown }[],
  deliver: FlowDefinition<Item>['deliver'],
) {
  const flow = {
    name,
    jobName: 'thing',
    description: 'numbered test items',
    schema,
    jobOptions: retryingJobOptions({ firstDelayMs: 60_000, keepCompleted: { age: 60, count: 10 } }),
    jobId: (item: Item) => toJobId('thing', String(item.n)),
    batch: { max: 10, maxWaitMs: 50, concurrency: 1 },
    deliver,
  };
  const queue = createFlowQueue(flow, connection, prefix);
  await addJobsAtomically(
    queue,
    jobs.map((j) => ({ name: 'thing', data: j.data, opts: { jobId: j.id } })),
  );
  consumer = createBatchConsumer<Item>({ flow, connection, prefix, logger: memoryLogger().logger });
  await consumer.start();
  return queue;
}

describe('a parked item in Bull Board', () => {
  it('shows its reason, with no stack trace or file path beneath it', async () => {
    const queue = await run('parked-data', [{ id: 'c1', data: { n: 1 } }], async (items) => {
      return new Map<string, ItemOutcome>(
        items.map((i) => [i.id, { kind: 'rejected', reason: REASON }]),
      );
    });
    const job = await waitFor(async () => {
      const j = await queue.getJob('c1');
      return (await j?.getState()) === 'failed' ? j : undefined;
    });
    expect(job.failedReason).toBe(REASON);
    expect(job.stacktrace).toEqual([REASON]);
    expect((job.stacktrace ?? []).join('\n')).not.toMatch(FILE_PATH);
    await queue.close();
  });

  it('an item whose data is invalid: the reason names the field, no file path', async () => {
    const queue = await run('parked-invalid', [{ id: 'c2', data: { n: 'two' } }], async () => {
      throw new Error('never called: the item is invalid');
    });
    const job = await waitFor(async () => {
      const j = await queue.getJob('c2');
      return (await j?.getState()) === 'failed' ? j : undefined;
    });
    expect(job.failedReason).toMatch(/^invalid job data: n: /);
    expect((job.stacktrace ?? []).join('\n')).not.toMatch(FILE_PATH);
    await queue.close();
  });

  it('a retried item keeps each attempt reason, no file path', async () => {
    const queue = await run('retried', [{ id: 'c3', data: { n: 3 } }], async (items) => {
      return new Map<string, ItemOutcome>(
        items.map((i) => [i.id, { kind: 'retry', reason: 'Calltouch answered HTTP 502' }]),
      );
    });
    const job = await waitFor(async () => {
      const j = await queue.getJob('c3');
      return (await j?.getState()) === 'delayed' ? j : undefined;
    });
    expect(job.failedReason).toBe('Calltouch answered HTTP 502');
    expect(job.stacktrace).toEqual(['Calltouch answered HTTP 502']);
    await queue.close();
  });

  it('an unexpected exception in deliver keeps its own stack trace', async () => {
    const queue = await run('crashed', [{ id: 'c4', data: { n: 4 } }], async () => {
      throw new TypeError('a bug in deliver');
    });
    const job = await waitFor(async () => {
      const j = await queue.getJob('c4');
      return (await j?.getState()) === 'delayed' ? j : undefined;
    });
    expect(job.failedReason).toBe('a bug in deliver');
    expect(job.stacktrace?.[0]).toMatch(/^TypeError: a bug in deliver\n\s+at /);
    expect(job.stacktrace?.[0]).toContain('parked-reason.test.ts');
    await queue.close();
  });
});
