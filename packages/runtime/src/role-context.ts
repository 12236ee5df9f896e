import type { Redis } from 'ioredis';
import { createLogger, type Logger } from '@touchline/logger';
import { createRegistry, type Registry } from '@touchline/metrics';
import { checkEvictionPolicy, createRedis, isRedisReady } from '@touchline/redis';
import type { Component } from './component.ts';

export interface RoleContext {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Shared worker-style Redis connection (waits for Redis); closed by the `redis` component. */
  readonly redis: Redis;
  /** Closes the connection last; checks `maxmemory-policy` at start. */
  readonly redisComponent: Component;
}

export interface RoleContextOptions {
  readonly role: string;
  readonly redisUrl: string;
  readonly logLevel: string;
  /** Secret values to scrub from every log line. */
  readonly secrets: readonly (string | undefined)[];
  /** Reuse these (the `all` role shares one logger, registry and connection). */
  readonly logger?: Logger;
  readonly registry?: Registry;
}

/** The logger, metrics registry and Redis connection a role is built from. */
export function createRoleContext(options: RoleContextOptions): RoleContext {
  const logger =
    options.logger ??
    createLogger({ level: options.logLevel, name: options.role, secrets: options.secrets });
  const registry = options.registry ?? createRegistry();
  const redis = createRedis({
    url: options.redisUrl,
    role: 'worker',
    logger,
    name: `touchline-${options.role}`,
  });
  return {
    logger,
    registry,
    redis,
    redisComponent: {
      name: 'redis',
      async start() {
        // Warn loudly about eviction, but never refuse to start because Redis is down:
        // the connection keeps retrying and readiness says so.
        void checkEvictionPolicy(redis, logger).catch(() => undefined);
      },
      async close() {
        await redis.quit().catch(() => redis.disconnect());
      },
      ready: () => isRedisReady(redis),
    },
  };
}
