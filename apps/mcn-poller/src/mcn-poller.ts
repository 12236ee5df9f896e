import { backfillCalls, createMcnPoller, type EnqueueSummary } from '@touchline/calls';
import type { McnPollerConfig } from '@touchline/config';
import { createMcnClient } from '@touchline/mcn';
import { createFlowQueue } from '@touchline/pipeline';
import {
  createRoleContext,
  runRoleProcess,
  type Component,
  type RoleContext,
  type RunningRole,
} from '@touchline/runtime';

const mappingOf = (config: McnPollerConfig) => ({
  mcnTimeZone: config.MCN_TIMEZONE,
  calltouchTimeZone: config.CALLTOUCH_TIMEZONE,
});

const clientOf = (config: McnPollerConfig) =>
  createMcnClient({
    apiUrl: config.MCN_API_URL,
    token: config.MCN_API_TOKEN,
    accountId: config.MCN_ACCOUNT_ID,
    vpbxId: config.MCN_VPBX_ID,
  });

/** The poller's components on a given context (alone, or inside `touchline all`). */
export function createMcnPollerParts(config: McnPollerConfig, ctx: RoleContext): Component[] {
  const queue = createFlowQueue('calls', ctx.redis, config.QUEUE_PREFIX);
  const poller = createMcnPoller({
    redis: ctx.redis,
    queue,
    client: clientOf(config),
    prefix: config.QUEUE_PREFIX,
    logger: ctx.logger,
    registry: ctx.registry,
    intervalMs: config.MCN_POLL_INTERVAL_SECONDS * 1000,
    mapping: mappingOf(config),
  });
  const queueComponent: Component = {
    name: 'calls-queue',
    start: async () => {},
    close: () => queue.close(),
  };
  return [queueComponent, poller];
}

/** `touchline mcn-poller`: reads the MCN call log on an interval and enqueues new calls. */
export async function startMcnPoller(
  config: McnPollerConfig,
  options: { handleSignals?: boolean } = {},
): Promise<RunningRole> {
  return runRoleProcess({
    name: 'mcn-poller',
    config,
    secrets: [config.MCN_API_TOKEN],
    parts: (ctx) => createMcnPollerParts(config, ctx),
    ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
  });
}

/** `touchline backfill --from --to`: enqueues a past range through the same path, then exits. */
export async function runBackfill(
  config: McnPollerConfig,
  from: string,
  to: string,
  onDay?: (day: string, summary: EnqueueSummary) => void,
): Promise<EnqueueSummary> {
  const ctx = createRoleContext({
    role: 'backfill',
    redisUrl: config.REDIS_URL,
    logLevel: config.LOG_LEVEL,
    secrets: [config.MCN_API_TOKEN],
  });
  const queue = createFlowQueue('calls', ctx.redis, config.QUEUE_PREFIX);
  try {
    return await backfillCalls(
      {
        redis: ctx.redis,
        queue,
        client: clientOf(config),
        prefix: config.QUEUE_PREFIX,
        mapping: mappingOf(config),
        logger: ctx.logger,
      },
      from,
      to,
      onDay,
    );
  } finally {
    await queue.close();
    await ctx.redisComponent.close();
  }
}
