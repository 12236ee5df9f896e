import { z } from 'zod';
import { retryingJobOptions, toJobId, type FlowSpec } from '@touchline/queue';

/**
 * An `orders` job names a merged state (order + seq), not a payload to send: the worker sends
 * the order's *current* merged state, so a job that waited behind a newer state of the same
 * order carries nothing stale. `deal` is the deal as received, for operators reading Bull Board.
 */
export const orderJobSchema = z.object({
  orderNumber: z.string().min(1),
  seq: z.int().positive(),
  deal: z.record(z.string(), z.unknown()).optional(),
});

export type OrderJob = z.output<typeof orderJobSchema>;

/**
 * The `orders` queue: one job per merged deal state, job id `order-<orderNumber>-<seq>`.
 * Completed jobs are kept a day, so that a deal state the CRM sends twice finds its twin (same
 * job id) and is ignored.
 */
export const ordersFlowSpec: FlowSpec<OrderJob> = {
  name: 'orders',
  jobName: 'deal',
  description:
    'CRM deal states waiting for Calltouch create/update; failed = parked with the reason',
  schema: orderJobSchema,
  jobOptions: retryingJobOptions({
    firstDelayMs: 1_000,
    keepCompleted: { age: 86_400, count: 100_000 },
  }),
  jobId: (job) => toJobId('order', job.orderNumber, job.seq),
};
