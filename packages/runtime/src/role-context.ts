import type { Redis } from 'ioredis';
import { createLogger, type Logger } from '@touchline/logger';
import { createRegistry, type Registry } from '@touchline/metrics';
import { checkEvictionPolicy, createRedis, isRedisReady } from '@touchline/redis';
import type { Component } from './component.ts';

/** Something a context holds once for every role of the process, closed after them. */
export interface SharedResource {
  close(): Promise<void>;
}

/** What every role of one process is built on. */
export interface RoleContext {
  readonly logger: Logger;
  readonly registry: Registry;
  /** Shared worker-style Redis connection (waits for Redis); closed last. */
  readonly redis: Redis;
  /**
   * A producer-style connection (fails fast while Redis is down: a webhook answers 503 rather
   * than hang), created on first use and shared by the roles of the process.
   */
  producerRedis(): Redis;
  /**
   * One `T` per process under `key`, built on first use and closed after every role's parts:
   * how `all` gives the worker and the leads export one Calltouch limiter connection and one
   * points budget, while each role alone builds its own.
   */
  shared<T extends SharedResource>(key: string, build: () => T): T;
}

export interface RoleContextOptions {
  readonly name: string;
  readonly redisUrl: string;
  readonly logLevel: string;
  /** Secret values to scrub from every log line. */
  readonly secrets: readonly (string | undefined)[];
  /** Log here instead (the demo writes role logs to a file; tests read the lines). */
  readonly logger?: Logger;
}

/** A context and the components that own its resources (first to start, last to close). */
export interface ContextParts {
  readonly ctx: RoleContext;
  /** The shared connection: checks `maxmemory-policy` at start, closes last. */
  readonly redisComponent: Component & { ready(): Promise<boolean> };
  /** Everything built through `shared()` and `producerRedis()`, closed before the connection. */
  readonly sharedComponent: Component;
}

/** The logger, metrics registry and Redis connections the roles of one process are built from. */
export function createRoleContext(options: RoleContextOptions): ContextParts {
  const logger =
    options.logger ??
    createLogger({ level: options.logLevel, name: options.name, secrets: options.secrets });
  const registry = createRegistry();
  const redis = createRedis({
    url: options.redisUrl,
    role: 'worker',
    logger,
    name: `touchline-${options.name}`,
  });
  const resources = new Map<string, SharedResource>();
  const shared = <T extends SharedResource>(key: string, build: () => T): T => {
    let resource = resources.get(key) as T | undefined;
    if (!resource) {
      resource = build();
      resources.set(key, resource);
    }
    return resource;
  };
  const producerRedis = () =>
    shared('producer-redis', () => {
      const client = createRedis({
        url: options.redisUrl,
        role: 'producer',
        logger,
        name: `touchline-${options.name}-producer`,
      });
      return {
        client,
        close: async () => {
          await client.quit().catch(() => client.disconnect());
        },
      };
    }).client;
  return {
    ctx: { logger, registry, redis, producerRedis, shared },
    redisComponent: {
      name: 'redis',
      async start() {
        // Warn loudly about eviction, but never refuse to start because Redis is down:
        // the connection keeps retrying and readiness says so.
        void checkEvictionPolicy(redis, logger).catch(() => undefined);
      },
      async close() {
        // QUIT would wait for a connection that may never come (Redis down): drop it instead.
        if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
        else redis.disconnect();
      },
      ready: () => isRedisReady(redis),
    },
    sharedComponent: {
      name: 'shared',
      async start() {},
      async close() {
        for (const [key, resource] of [...resources].reverse()) {
          await resource
            .close()
            .catch((err: unknown) => logger.warn({ err, resource: key }, 'error while closing'));
        }
        resources.clear();
      },
    },
  };
}
