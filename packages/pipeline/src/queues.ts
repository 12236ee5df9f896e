import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';

/** The three flows of SPEC §1, one BullMQ queue each: one job per item (call, deal state, lead). */
export const FLOWS = ['calls', 'orders', 'leads'] as const;
export type Flow = (typeof FLOWS)[number];

export const QUEUE_DESCRIPTIONS: Record<Flow, string> = {
  calls: 'MCN calls waiting for the Calltouch import; failed = parked with the reason (replayable)',
  orders: 'CRM deal states waiting for Calltouch create/update; failed = parked with the reason',
  leads: 'Calltouch leads waiting for delivery to the CRM webhook; failed = parked with the answer',
};

/**
 * Job options per flow. Transient failures (5xx, timeouts, network) are retried by BullMQ with
 * exponential backoff and jitter: 1 s, 2 s, 4 s … about 68 minutes in all, then the item is
 * parked (failed) for an operator. A 429 never consumes an attempt (the job is delayed instead).
 * Completed jobs are kept a while so that Bull Board shows recent traffic and so that a deal
 * state the CRM sends twice finds its twin (same job id) and is ignored.
 */
export const JOB_OPTIONS: Record<Flow, DefaultJobOptions> = {
  calls: {
    attempts: 13,
    backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
    removeOnComplete: { age: 3_600, count: 20_000 },
    removeOnFail: { age: 30 * 86_400 },
  },
  orders: {
    attempts: 13,
    backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 },
    removeOnComplete: { age: 86_400, count: 100_000 },
    removeOnFail: { age: 30 * 86_400 },
  },
  leads: {
    attempts: 13,
    backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 },
    removeOnComplete: { age: 86_400, count: 20_000 },
    removeOnFail: { age: 30 * 86_400 },
  },
};

export function createFlowQueue(flow: Flow, connection: ConnectionOptions, prefix: string): Queue {
  return new Queue(flow, { connection, prefix, defaultJobOptions: JOB_OPTIONS[flow] });
}
