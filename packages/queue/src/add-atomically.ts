import { Job, type JobsOptions, type Queue } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import type { FlowSpec } from './flow.ts';

/** Further writes to make in the same transaction (e.g. de-duplication marks). */
export type AlsoInTransaction = (multi: ChainableCommander) => void;

export interface NewJob<T> {
  readonly name: string;
  readonly data: T;
  readonly opts: JobsOptions & { jobId: string };
}

/**
 * One item of `flow` as a job to add: its data checked against the flow's schema (the worker
 * checks it again when it claims the job) and its id from the flow's `jobId`. Throws a ZodError
 * for data the flow would refuse: a producer bug, never silently queued.
 */
export function toNewJob<T>(flow: FlowSpec<T>, data: T, opts: JobsOptions = {}): NewJob<T> {
  const valid = flow.schema.parse(data);
  return { name: flow.jobName, data: valid, opts: { ...opts, jobId: flow.jobId(valid) } };
}

/**
 * Adds jobs in one MULTI/EXEC transaction: all of them or none. BullMQ's `addBulk` sends a
 * plain pipeline, which can leave half a body enqueued if the connection drops midway; the
 * CRM listener promises "202 only when every deal is durably in Redis", so it needs this.
 * Jobs with an id that already exists are ignored by BullMQ (idempotent re-sends).
 */
export async function addJobsAtomically<T>(
  queue: Queue,
  jobs: readonly NewJob<T>[],
  also?: AlsoInTransaction,
): Promise<void> {
  if (jobs.length === 0 && !also) return;
  const client = await queue.client;
  const multi = client.multi();
  for (const spec of jobs) {
    const job = new Job(
      queue,
      spec.name,
      spec.data,
      { ...queue.defaultJobOptions, ...spec.opts },
      spec.opts.jobId,
    );
    await job.addJob(multi);
  }
  also?.(multi as unknown as ChainableCommander);
  const results = await multi.exec();
  if (!results) throw new Error('Redis transaction aborted');
  const failed = results.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}
