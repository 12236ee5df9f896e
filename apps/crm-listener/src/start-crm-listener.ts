import type { CrmListenerConfig } from '@touchline/config';
import { createLogger, type Logger } from '@touchline/logger';
import { createRegistry, type Registry } from '@touchline/metrics';
import { createCrmListenerServer, createOrderIntake } from '@touchline/orders';
import { createFlowQueue } from '@touchline/pipeline';
import { checkEvictionPolicy, createRedis, isRedisReady } from '@touchline/redis';
import { createOpsServer, runRole, type Component, type RunningRole } from '@touchline/runtime';

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

/**
 * The `touchline crm-listener` role: the webhook service on CRM_LISTENER_PORT writing deals to
 * the `orders` queue through a producer Redis client (fails fast: a Redis outage answers 503,
 * never hangs the CRM), and /metrics on METRICS_PORT. Starts even when Redis is down.
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
    ...(opts.host ? { host: opts.host } : {}),
    secret: config.CRM_WEBHOOK_SECRET,
    intake,
    redis,
    registry,
    logger,
  });
  const ops =
    opts.serveMetrics === false
      ? undefined
      : createOpsServer({
          port: config.METRICS_PORT,
          ...(opts.metricsHost ? { host: opts.metricsHost } : {}),
          registry,
          checks: { redis: () => isRedisReady(redis) },
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
  const role = await runRole({
    name: 'crm-listener',
    logger,
    components: [...(ops ? [ops] : []), connections, server],
    ...(opts.handleSignals === undefined ? {} : { handleSignals: opts.handleSignals }),
  });
  return { ...role, port: () => server.port(), metricsPort: () => ops?.port() };
}
