import type { Logger } from '@touchline/logger';
import type { Component } from './component.ts';
import { createHeartbeat } from './heartbeat.ts';
import { createOpsServer } from './ops-server.ts';
import { createRoleContext, type RoleContext } from './role-context.ts';
import { runRole, type RunningRole } from './run-role.ts';

/** The variables every long-running role reads. */
export interface RoleProcessConfig {
  readonly REDIS_URL: string;
  readonly LOG_LEVEL: string;
  readonly METRICS_PORT: number;
  readonly QUEUE_PREFIX: string;
}

export interface RoleProcessOptions {
  readonly name: string;
  readonly config: RoleProcessConfig;
  /** Secret values to scrub from every log line. */
  readonly secrets: readonly (string | undefined)[];
  /** The role's own parts, built on its context and started after ops, Redis and heartbeat. */
  readonly parts: (ctx: RoleContext) => readonly Component[];
  readonly logger?: Logger;
  readonly metricsHost?: string;
  readonly handleSignals?: boolean;
}

/**
 * A long-running role as its own process: its logger, registry and Redis connection; the ops
 * server first (`/metrics`, `/healthz`, `/readyz` answer as soon as the process starts), then
 * Redis, the heartbeat `touchline status` reads, and the role's parts; closed in reverse on
 * SIGTERM/SIGINT.
 */
export async function runRoleProcess(
  options: RoleProcessOptions,
): Promise<RunningRole & { readonly ctx: RoleContext }> {
  const { name, config } = options;
  const ctx = createRoleContext({
    role: name,
    redisUrl: config.REDIS_URL,
    logLevel: config.LOG_LEVEL,
    secrets: options.secrets,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const ops = createOpsServer({
    port: config.METRICS_PORT,
    ...(options.metricsHost ? { host: options.metricsHost } : {}),
    registry: ctx.registry,
    checks: { redis: () => ctx.redisComponent.ready?.() ?? Promise.resolve(true) },
  });
  const heartbeat = createHeartbeat({
    redis: ctx.redis,
    prefix: config.QUEUE_PREFIX,
    role: name,
    logger: ctx.logger,
  });
  const running = await runRole({
    name,
    logger: ctx.logger,
    components: [ops, ctx.redisComponent, heartbeat, ...options.parts(ctx)],
    handleSignals: options.handleSignals ?? true,
  });
  return { ...running, ctx };
}
