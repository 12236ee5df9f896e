import type { Queue } from 'bullmq';
import { callJobSchema, createCallsDelivery } from '@touchline/calls';
import type { WorkerConfig } from '@touchline/config';
import { calltouchMetrics } from '@touchline/metrics';
import { createOrdersDelivery } from '@touchline/orders';
import {
  createBatchConsumer,
  createCalltouchStack,
  createFlowQueue,
  registerQueueMetrics,
  type BatchConsumer,
  type CalltouchStack,
  type Flow,
  type ItemOutcome,
} from '@touchline/pipeline';
import {
  runRoleProcess,
  type Component,
  type RoleContext,
  type RunningRole,
} from '@touchline/runtime';

/**
 * How long a partial batch of calls waits for the next item once the queue is empty. A poll's
 * calls are all there at once; 100 items retried after a 5xx come back spread over half a second
 * by backoff jitter, a few ms apart.
 */
const CALLS_IDLE_GAP_MS = 100;

export interface WorkerOptions {
  readonly handleSignals?: boolean;
  /** Claim duration; a killed worker's items return to the queue after it. Default 30 s. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

export interface WorkerParts {
  readonly components: Component[];
  readonly stack: CalltouchStack;
  readonly queues: Map<Flow, Queue>;
  readonly consumers: BatchConsumer[];
}

/**
 * The worker's components on a given context (used alone by `touchline worker`, and inside
 * `touchline all`): one batch consumer per Calltouch flow, sharing one limiter and budget.
 */
export function createWorkerParts(
  config: WorkerConfig,
  ctx: RoleContext,
  options: WorkerOptions = {},
): WorkerParts {
  const { logger, registry, redis } = ctx;
  const prefix = config.QUEUE_PREFIX;
  const stack = createCalltouchStack(config, redis, registry, logger);
  const items = calltouchMetrics(registry).items;
  const countItem = (endpoint: string) => (_item: unknown, outcome: ItemOutcome) => {
    if (outcome.kind === 'delivered') {
      items.inc({ endpoint, outcome: 'delivered' });
      if (outcome.duplicate) items.inc({ endpoint, outcome: 'duplicate' });
    } else if (outcome.kind === 'rejected') {
      items.inc({ endpoint, outcome: 'rejected' });
    }
  };
  const common = {
    connection: redis,
    prefix,
    logger,
    maxWaitMs: config.CHUNK_MAX_WAIT_MS,
    concurrency: config.WORKER_BATCHES_IN_FLIGHT,
    lockDurationMs: options.lockDurationMs ?? config.WORKER_CLAIM_TIMEOUT_MS,
    // Stalled claims are looked for twice per claim timeout, so a dead worker's items are
    // back in the queue within 1.5 × WORKER_CLAIM_TIMEOUT_MS.
    stalledIntervalMs:
      options.stalledIntervalMs ?? Math.max(500, Math.floor(config.WORKER_CLAIM_TIMEOUT_MS / 2)),
  };
  const calls = createBatchConsumer({
    ...common,
    flow: 'calls',
    maxBatch: stack.client.maxCallsPerRequest,
    // The poller enqueues each day it reads in one transaction: an empty queue means the read
    // is all claimed, so a partial batch leaves after a short gap rather than CHUNK_MAX_WAIT_MS
    // (the orders' linger, where deals trickle in one webhook at a time). Retries released
    // together by backoff jitter arrive closer than the gap and still share a request.
    idleGapMs: CALLS_IDLE_GAP_MS,
    schema: callJobSchema,
    deliver: createCallsDelivery({
      client: stack.client,
      limiter: stack.limiter,
      budget: stack.budget,
      isPointsExhausted: stack.isPointsExhausted,
      mapping: { mcnTimeZone: config.MCN_TIMEZONE, calltouchTimeZone: config.CALLTOUCH_TIMEZONE },
    }),
    onOutcome: countItem('calls_import'),
  });
  const orders = createOrdersDelivery({
    redis,
    prefix,
    client: stack.client,
    limiter: stack.limiter,
    budget: stack.budget,
    isPointsExhausted: stack.isPointsExhausted,
    logger,
    registry,
    timeZone: config.CALLTOUCH_TIMEZONE,
  });
  const ordersConsumer = createBatchConsumer({
    ...common,
    flow: 'orders',
    maxBatch: 100,
    schema: orders.schema,
    deliver: orders.deliver,
  });
  const queues = new Map<Flow, Queue>(
    (['calls', 'orders', 'leads'] as const).map((flow) => [
      flow,
      createFlowQueue(flow, redis, prefix),
    ]),
  );
  registerQueueMetrics(registry, queues);
  const queuesComponent: Component = {
    name: 'queues',
    async start() {},
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      await stack.close();
    },
  };
  return {
    components: [queuesComponent, calls, ordersConsumer],
    stack,
    queues,
    consumers: [calls, ordersConsumer],
  };
}

/** `touchline worker`: batching, sending, retries; run as many as you like. */
export async function startWorker(
  config: WorkerConfig,
  options: WorkerOptions = {},
): Promise<RunningRole> {
  return runRoleProcess({
    name: 'worker',
    config,
    secrets: [config.CALLTOUCH_API_TOKEN, config.CALLTOUCH_ATS_TOKEN],
    parts: (ctx) => createWorkerParts(config, ctx, options).components,
    ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
  });
}
