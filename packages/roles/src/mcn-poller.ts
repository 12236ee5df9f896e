import {
  backfillCalls,
  callsFlowSpec,
  createMcnPoller,
  pollerKeys,
  type EnqueueSummary,
} from '@touchline/calls';
import type { BackfillConfig, McnPollerConfig } from '@touchline/config';
import { createMcnClient } from '@touchline/mcn';
import { createFlowQueue, createWakeSignal } from '@touchline/queue';
import { createRedis } from '@touchline/redis';
import type { Component, RoleDefinition } from '@touchline/runtime';
import type { Logger } from '@touchline/logger';
import { callMappingOptions, mcnClientOptions } from './options.ts';

/** `touchline mcn-poller`: reads the MCN call log on an interval and enqueues new calls. */
export function mcnPollerRole(): RoleDefinition<McnPollerConfig> {
  return {
    name: 'mcn-poller',
    secrets: (config) => [config.MCN_API_TOKEN],
    parts(config, ctx) {
      const queue = createFlowQueue(callsFlowSpec, ctx.redis, config.QUEUE_PREFIX);
      const poller = createMcnPoller({
        redis: ctx.redis,
        queue,
        client: createMcnClient(mcnClientOptions(config)),
        prefix: config.QUEUE_PREFIX,
        logger: ctx.logger,
        registry: ctx.registry,
        intervalMs: config.MCN_POLL_INTERVAL_SECONDS * 1000,
        mapping: callMappingOptions(config),
        liveWindowMs: config.CALLS_LIVE_WINDOW_MINUTES * 60_000,
        tailOverlapMs: config.MCN_TAIL_OVERLAP_MINUTES * 60_000,
        fullReadIntervalMs: config.MCN_FULL_READ_INTERVAL_MINUTES * 60_000,
        wake: createWakeSignal(pollerKeys(config.QUEUE_PREFIX).wake),
        eventsMinGapMs: config.MCN_EVENTS_MIN_GAP_MS,
      });
      const queueComponent: Component = {
        name: 'calls-queue',
        start: async () => {},
        close: () => queue.close(),
      };
      return [queueComponent, poller];
    },
  };
}

/** `touchline backfill --from --to`: enqueues a past range through the same path, then ends. */
export async function runBackfill(
  config: BackfillConfig,
  logger: Logger,
  from: string,
  to: string,
  onDay?: (day: string, summary: EnqueueSummary) => void,
): Promise<EnqueueSummary> {
  const redis = createRedis({
    url: config.REDIS_URL,
    role: 'worker',
    logger,
    name: 'touchline-backfill',
  });
  const queue = createFlowQueue(callsFlowSpec, redis, config.QUEUE_PREFIX);
  try {
    return await backfillCalls(
      {
        redis,
        queue,
        client: createMcnClient(mcnClientOptions(config)),
        prefix: config.QUEUE_PREFIX,
        mapping: callMappingOptions(config),
        logger,
      },
      from,
      to,
      onDay,
    );
  } finally {
    await queue.close();
    await redis.quit().catch(() => redis.disconnect());
  }
}
