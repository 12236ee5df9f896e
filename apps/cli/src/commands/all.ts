import type { AllConfig } from '@touchline/config';
import { createBoardParts } from '@touchline/app-board';
import { createCrmListenerParts } from '@touchline/app-crm-listener';
import { createLeadsParts } from '@touchline/app-leads';
import { createMcnPollerParts } from '@touchline/app-mcn-poller';
import { createWorkerParts } from '@touchline/app-worker';
import type { Logger } from '@touchline/logger';
import {
  createHeartbeat,
  createOpsServer,
  createRoleContext,
  runRole,
  type Component,
  type RunningRole,
} from '@touchline/runtime';

export interface AllOptions {
  readonly handleSignals?: boolean;
  /** Log here (the demo writes role logs to a file). */
  readonly logger?: Logger;
}

export interface RunningAll extends RunningRole {
  /** The ports as bound (useful when 0 asked the OS for free ones). */
  readonly ports: { metrics: () => number; crm: () => number };
}

/**
 * `touchline all`: every role in one process on one Redis connection, one metrics registry
 * and one `/metrics` endpoint. Producers start last and stop first; the worker's Calltouch
 * stack (limiter, budget) is shared with the leads export.
 */
export async function startAll(config: AllConfig, options: AllOptions = {}): Promise<RunningAll> {
  const ctx = createRoleContext({
    role: 'all',
    redisUrl: config.REDIS_URL,
    logLevel: config.LOG_LEVEL,
    secrets: [
      config.CALLTOUCH_API_TOKEN,
      config.CALLTOUCH_ATS_TOKEN,
      config.MCN_API_TOKEN,
      config.CRM_WEBHOOK_SECRET,
      config.LEADS_WEBHOOK_SECRET,
      config.BOARD_PASSWORD,
    ],
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const worker = createWorkerParts(config, ctx);
  const listener = createCrmListenerParts(config, { logger: ctx.logger, registry: ctx.registry });
  const heartbeats: Component[] = ['worker', 'mcn-poller', 'leads', 'board'].map((role) =>
    createHeartbeat({ redis: ctx.redis, prefix: config.QUEUE_PREFIX, role, logger: ctx.logger }),
  );
  const ops = createOpsServer({
    port: config.METRICS_PORT,
    registry: ctx.registry,
    checks: {
      redis: () => ctx.redisComponent.ready?.() ?? Promise.resolve(true),
    },
  });
  const role = await runRole({
    name: 'touchline all',
    logger: ctx.logger,
    handleSignals: options.handleSignals ?? true,
    components: [
      ops,
      ctx.redisComponent,
      ...heartbeats,
      ...worker.components,
      ...createLeadsParts(config, ctx, { stack: worker.stack }),
      ...createBoardParts(config, ctx),
      ...listener.components,
      ...createMcnPollerParts(config, ctx),
    ],
  });
  return { ...role, ports: { metrics: () => ops.port(), crm: () => listener.port() } };
}
