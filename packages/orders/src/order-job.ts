import { z } from 'zod';

/** BullMQ job name of one deal state in the `orders` queue. */
export const ORDER_JOB_NAME = 'deal';

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
