import {
  backfillCalls,
  callsFlowSpec,
  createMcnPoller,
  type EnqueueSummary,
} from '@touchline/calls';
import type { McnPollerConfig } from '@touchline/config';
import { createMcnClient } from '@touchline/mcn';
import { createFlowQueue } from '@touchline/queue';
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
  config: McnPollerConfig,
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
