import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';
import type { z } from 'zod';
import type { BatchItem, DeliveryContext, ItemOutcome } from './outcome.ts';

/**
 * What producers, Bull Board, `status` and `replay` know of a flow: its queue and its items.
 * One BullMQ queue per flow, one job per item (a call, a deal state, a lead).
 */
export interface FlowSpec<T> {
  /** The queue name (`calls`, `orders`, `leads`); also the `flow` label of metrics. */
  readonly name: string;
  /** The BullMQ job name of one item (`call`, `deal`, `lead`): what Bull Board lists. */
  readonly jobName: string;
  /** One line for Bull Board: what waits here and what "failed" means. */
  readonly description: string;
  /** Validates `job.data` before a job is added and again when it is claimed. */
  readonly schema: z.ZodType<T>;
  /** Attempts, backoff and retention of the flow's jobs. */
  readonly jobOptions: DefaultJobOptions;
  /**
   * The job id of an item: its idempotency key, built from the outside identifier with
   * {@link toJobId} (one injective encoding), so two distinct items never share an id.
   */
  jobId(data: T): string;
}

/** How the batch consumer packs a flow's items into requests. */
export interface BatchSettings {
  /** Items per request (100, or 1 for one-item-per-request senders). */
  readonly max: number;
  /** Longest wait for a partial batch to fill, ms (CHUNK_MAX_WAIT_MS; 0 sends at once). */
  readonly maxWaitMs: number;
  /**
   * Once the queue runs empty, send the partial batch when no new item has arrived for this
   * long instead of lingering the whole `maxWaitMs`: for producers that enqueue each read in
   * one transaction, where an empty queue means nothing more is on its way.
   */
  readonly idleGapMs?: number;
  /** Batches in flight per process. Default 4. */
  readonly concurrency?: number;
}

/**
 * A flow, whole: its queue, how its items are batched and how a batch is delivered. A worker
 * process runs a batch consumer per definition it is given (`createBatchConsumer`); adding a
 * flow means writing one of these and registering it with a role (docs/architecture.md).
 */
export interface FlowDefinition<T> extends FlowSpec<T> {
  readonly batch: BatchSettings;
  /** Sends the items; returns an outcome per item id (an item without one is retried). */
  deliver(items: readonly BatchItem<T>[], ctx: DeliveryContext): Promise<Map<string, ItemOutcome>>;
  /** Observes each settled item (metrics). */
  onOutcome?(item: BatchItem<T>, outcome: ItemOutcome): void;
}

/** The queue of a flow, with its job options. The caller closes it. */
export function createFlowQueue(
  flow: Pick<FlowSpec<unknown>, 'name' | 'jobOptions'>,
  connection: ConnectionOptions,
  prefix: string,
): Queue {
  return new Queue(flow.name, { connection, prefix, defaultJobOptions: flow.jobOptions });
}

/**
 * Job options shared by the flows: transient failures (5xx, timeouts, network) are retried by
 * BullMQ with exponential backoff and jitter — 1 s, 2 s, 4 s … about 68 minutes in all for 13
 * attempts — then the item is parked (failed) for an operator. A 429 never consumes an attempt
 * (the item is deferred instead). Completed jobs are kept a while so that Bull Board shows
 * recent traffic; parked ones for 30 days.
 */
export function retryingJobOptions(options: {
  readonly firstDelayMs: number;
  readonly keepCompleted: { readonly age: number; readonly count: number };
}): DefaultJobOptions {
  return {
    attempts: 13,
    backoff: { type: 'exponential', delay: options.firstDelayMs, jitter: 0.5 },
    removeOnComplete: { ...options.keepCompleted },
    removeOnFail: { age: 30 * 86_400 },
  };
}
