import type { CrmListenerConfig } from '@touchline/config';
import { createLogger, type Logger } from '@touchline/logger';
import { createRegistry, type Registry } from '@touchline/metrics';
import { createCrmListenerServer, createOrderIntake } from '@touchline/orders';
import { createFlowQueue } from '@touchline/pipeline';
import { checkEvictionPolicy, createRedis, isRedisReady } from '@touchline/redis';
import {
  createHeartbeat,
  createOpsServer,
  runRole,
  type Component,
  type RunningRole,
} from '@touchline/runtime';

export interface StartCrmListenerOptions {
  readonly logger?: Logger;
  /** Shared by `touchline all`; a fresh registry with default metrics otherwise. */
  readonly registry?: Registry;
  /** Serve /metrics on METRICS_PORT (off in `all`, which serves one endpoint for every role). */
  readonly serveMetrics?: boolean;
  /** Interface of the webhook port (default 0.0.0.0) and of the metrics port. */
  readonly host?: string;
  readonly metricsHost?: string;
  /** Process signal handling (off in tests and in `all`). */
  readonly handleSignals?: boolean;
}

export interface RunningCrmListener extends RunningRole {
  /** The webhook port as bound (CRM_LISTENER_PORT, or the OS's pick for 0). */
  port(): number;
  /** The metrics port as bound, when served. */
  metricsPort(): number | undefined;
}

/** The listener's components (its own producer connection, the webhook server). */
export interface CrmListenerParts {
  readonly components: Component[];
  /** The webhook port as bound. */
  port(): number;
  /** True when Redis answers (for readiness). */
  ready(): Promise<boolean>;
}

/**
 * The webhook service writing deals to the `orders` queue through a producer Redis client
 * (fails fast: a Redis outage answers 503, never hangs the CRM). Used alone by
 * `touchline crm-listener` and inside `touchline all`.
 */
export function createCrmListenerParts(
  config: CrmListenerConfig,
  deps: { logger: Logger; registry: Registry; host?: string },
): CrmListenerParts {
  const { logger, registry } = deps;
  const redis = createRedis({
    url: config.REDIS_URL,
    role: 'producer',
    logger,
    name: 'touchline-crm-listener',
  });
  const queue = createFlowQueue('orders', redis, config.QUEUE_PREFIX);
  // Redis errors are logged once per outage by createRedis; the queue re-emits them.
  queue.on('error', () => undefined);
  const intake = createOrderIntake({
    redis,
    queue,
    prefix: config.QUEUE_PREFIX,
    timeZone: config.CALLTOUCH_TIMEZONE,
  });
  const server = createCrmListenerServer({
    port: config.CRM_LISTENER_PORT,
    ...(deps.host ? { host: deps.host } : {}),
    secret: config.CRM_WEBHOOK_SECRET,
    intake,
    redis,
    registry,
    logger,
  });
  const connections: Component = {
    name: 'redis',
    async start() {
      const check = () => void checkEvictionPolicy(redis, logger);
      if (redis.status === 'ready') check();
      else redis.once('ready', check);
    },
    async close() {
      await queue.close().catch(() => undefined);
      await redis.quit().catch(() => redis.disconnect());
    },
  };
  const heartbeat = createHeartbeat({
    redis,
    prefix: config.QUEUE_PREFIX,
    role: 'crm-listener',
    logger,
  });
  return {
    components: [connections, heartbeat, server],
    port: () => server.port(),
    ready: () => isRedisReady(redis),
  };
}

/**
 * The `touchline crm-listener` role: the webhook service on CRM_LISTENER_PORT and /metrics on
 * METRICS_PORT. Starts even when Redis is down.
 */
export async function startCrmListener(
  config: CrmListenerConfig,
  opts: StartCrmListenerOptions = {},
): Promise<RunningCrmListener> {
  const logger =
    opts.logger ??
    createLogger({
      level: config.LOG_LEVEL,
      name: 'crm-listener',
      secrets: [config.CRM_WEBHOOK_SECRET],
    });
  const registry = opts.registry ?? createRegistry({ role: 'crm-listener' });
  const parts = createCrmListenerParts(config, {
    logger,
    registry,
    ...(opts.host ? { host: opts.host } : {}),
  });
  const ops =
    opts.serveMetrics === false
      ? undefined
      : createOpsServer({
          port: config.METRICS_PORT,
          ...(opts.metricsHost ? { host: opts.metricsHost } : {}),
          registry,
          checks: { redis: () => parts.ready() },
        });
  const role = await runRole({
    name: 'crm-listener',
    logger,
    components: [...(ops ? [ops] : []), ...parts.components],
    ...(opts.handleSignals === undefined ? {} : { handleSignals: opts.handleSignals }),
  });
  return { ...role, port: () => parts.port(), metricsPort: () => ops?.port() };
}
