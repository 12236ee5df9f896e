import { Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from '@touchline/config';
import type { Logger } from '@touchline/logger';

/**
 * How a client is used decides how it behaves when Redis goes away (BullMQ's production guide):
 * - `producer`: fails fast (no offline queue), so an HTTP request can answer 503 at once;
 * - `worker`: waits for Redis for as long as it takes (`maxRetriesPerRequest: null`), as BullMQ
 *   workers and blocking commands require.
 */
export type RedisRole = 'producer' | 'worker';

export interface CreateRedisOptions {
  readonly url: string;
  readonly role: RedisRole;
  readonly logger: Logger;
  /** Shown in logs and `CLIENT LIST`. */
  readonly name?: string;
  readonly overrides?: RedisOptions;
}

/** Reconnect forever with a capped backoff: a role never exits because Redis is unreachable. */
export const reconnectDelay = (attempt: number): number =>
  Math.min(100 * 2 ** Math.min(attempt, 6), 5_000);

/**
 * An ioredis client for `REDIS_URL`: one Redis (`redis://`, `rediss://`), or the current master
 * behind Sentinel (`redis+sentinel://host:26379,…/<master name>`). Through Sentinel the client
 * asks for the master on every (re)connect and follows a failover as soon as Sentinel announces
 * it. BullMQ's duplicated connections inherit all of it.
 */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  const target = parseRedisUrl(url);
  if (target.kind === 'direct') return new Redis(url, options);
  const { kind: _kind, sentinels, ...auth } = target;
  return new Redis({
    ...auth,
    sentinels: sentinels.map((s) => ({ ...s })),
    failoverDetector: true,
    ...options,
  });
}

/**
 * For one-shot clients (`touchline status`, the demo's probe): connect on `connect()`, and give
 * up at the first failure instead of retrying, whether Redis or every Sentinel is unreachable.
 */
export const ONE_SHOT: RedisOptions = {
  lazyConnect: true,
  retryStrategy: () => null,
  sentinelRetryStrategy: () => null,
};

export function createRedis(options: CreateRedisOptions): Redis {
  const { url, role, logger, name = `touchline-${role}` } = options;
  const log = logger.child({ component: 'redis', client: name });
  const client = connectRedis(url, {
    connectionName: name,
    lazyConnect: false,
    retryStrategy: reconnectDelay,
    sentinelRetryStrategy: reconnectDelay,
    ...(role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true }),
    ...options.overrides,
  });
  // Every client needs an error listener, or ioredis' errors crash the process. Log the first
  // error of an outage and the recovery, not one line per reconnect attempt.
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) log.warn({ err: { message: err.message } }, 'redis unreachable, reconnecting');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('redis reachable again');
    down = false;
  });
  return client;
}

/** True when the client answers PING within `timeoutMs`. */
export async function isRedisReady(client: Redis, timeoutMs = 1_000): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
