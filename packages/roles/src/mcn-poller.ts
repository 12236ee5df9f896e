import {
  backfillCalls,
  callsFlowSpec,
  createMcnPoller,
  pollerKeys,
  type EnqueueSummary,
} from '@touchline/calls';
import type { BackfillConfig, McnPollerConfig } from '@touchline/config';
import { createMcnClient } from '@touchline/mcn';
import { closeQueue, createFlowQueue, createWakeSignal } from '@touchline/queue';
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
        eventsMaxRequestsPerMinute: config.MCN_EVENTS_MAX_REQUESTS_PER_MINUTE,
      });
      const queueComponent: Component = {
        name: 'calls-queue',
        start: async () => {},
        close: () => closeQueue(queue),
      };
      return [queueComponent, poller];
    },
  };
}

export interface BackfillOptions {
  readonly config: BackfillConfig;
  readonly logger: Logger;
  /** First and last MCN day, YYYY-MM-DD (inclusive). */
  readonly from: string;
  readonly to: string;
  /**
   * The connection to enqueue through, owned by the caller (a one-shot command's, which fails
   * fast while Redis is down); by default one of its own that waits for Redis, closed at the end.
   */
  readonly redis?: ReturnType<typeof createRedis>;
  /** Called after each day is read and enqueued, with the running totals. */
  readonly onDay?: (day: string, summary: EnqueueSummary) => void;
}

/** `touchline backfill --from --to`: enqueues a past range through the same path, then ends. */
export async function runBackfill(options: BackfillOptions): Promise<EnqueueSummary> {
  const { config, logger } = options;
  const redis =
    options.redis ??
    createRedis({ url: config.REDIS_URL, role: 'worker', logger, name: 'touchline-backfill' });
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
      options.from,
      options.to,
      options.onDay,
    );
  } finally {
    await closeQueue(queue).catch(() => undefined);
    if (!options.redis) await redis.quit().catch(() => redis.disconnect());
  }
}
