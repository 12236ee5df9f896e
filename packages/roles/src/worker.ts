import type { Queue } from 'bullmq';
import { createCallsFlow } from '@touchline/calls';
import type { WorkerConfig } from '@touchline/config';
import { createOrdersFlow } from '@touchline/orders';
import {
  closeQueue,
  createBatchConsumer,
  createFlowQueue,
  registerQueueMetrics,
  type FlowDefinition,
} from '@touchline/queue';
import type { Component, RoleContext, RoleDefinition } from '@touchline/runtime';
import { calltouchStackOf } from './calltouch.ts';
import { FLOW_SPECS } from './flows.ts';
import { callMappingOptions } from './options.ts';

export interface WorkerRoleOptions {
  /** Claim duration; a killed worker's items return to the queue after it. Default WORKER_CLAIM_TIMEOUT_MS. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

/** The flows a worker delivers: calls and orders, on the process's one Calltouch stack. */
export function workerFlows(config: WorkerConfig, ctx: RoleContext): FlowDefinition<unknown>[] {
  const calltouch = calltouchStackOf(config, ctx);
  const common = {
    calltouch,
    registry: ctx.registry,
    maxWaitMs: config.CHUNK_MAX_WAIT_MS,
    concurrency: config.WORKER_BATCHES_IN_FLIGHT,
  };
  return [
    createCallsFlow({ ...common, mapping: callMappingOptions(config) }),
    createOrdersFlow({
      ...common,
      redis: ctx.redis,
      prefix: config.QUEUE_PREFIX,
      logger: ctx.logger,
      timeZone: config.CALLTOUCH_TIMEZONE,
    }),
  ];
}

/**
 * `touchline worker`: one batch consumer per flow it is given (by default calls and orders),
 * sharing one Calltouch limiter and points budget; and the queue gauges of every flow. Run as
 * many as you like: throughput is bounded per egress IP, not by worker count.
 */
export function workerRole(
  options: WorkerRoleOptions & {
    /** The flows to deliver; default {@link workerFlows}. */
    readonly flows?: (config: WorkerConfig, ctx: RoleContext) => FlowDefinition<unknown>[];
  } = {},
): RoleDefinition<WorkerConfig> {
  return {
    name: 'worker',
    secrets: (config) => [config.CALLTOUCH_API_TOKEN, config.CALLTOUCH_ATS_TOKEN],
    // A batch whose request has left waits for its answer, at most the request timeout.
    stopWithinMs: (config) => config.CALLTOUCH_TIMEOUT_MS,
    parts(config, ctx) {
      const prefix = config.QUEUE_PREFIX;
      const lockDurationMs = options.lockDurationMs ?? config.WORKER_CLAIM_TIMEOUT_MS;
      const consumers = (options.flows ?? workerFlows)(config, ctx).map((flow) =>
        createBatchConsumer({
          flow,
          connection: ctx.redis,
          prefix,
          logger: ctx.logger,
          lockDurationMs,
          // Stalled claims are looked for twice per claim timeout, so a dead worker's items
          // are back in the queue within 1.5 × WORKER_CLAIM_TIMEOUT_MS.
          stalledIntervalMs:
            options.stalledIntervalMs ?? Math.max(500, Math.floor(lockDurationMs / 2)),
        }),
      );
      const queues: Queue[] = FLOW_SPECS.map((flow) => createFlowQueue(flow, ctx.redis, prefix));
      registerQueueMetrics(ctx.registry, queues);
      const queuesComponent: Component = {
        name: 'queue-metrics',
        async start() {},
        async close() {
          await Promise.all(queues.map((q) => closeQueue(q)));
        },
      };
      return [queuesComponent, ...consumers];
    },
  };
}
