import type { Redis } from 'ioredis';
import { redactText } from '@touchline/logger';
import { ONE_SHOT, connectRedis } from '@touchline/redis';
import { CommandFailure, EXIT } from './exit-codes.ts';

/**
 * The Redis connection of a one-shot command (`replay`, `backfill`; `status` has its own in
 * ./commands/status.ts): it connects once and gives up at the first failure, where a role's
 * connection reconnects forever. A command run while Redis is down says so at once and exits 69
 * instead of hanging.
 */
export async function connectOnce(url: string, name: string): Promise<Redis> {
  const redis = connectRedis(url, {
    ...ONE_SHOT,
    connectionName: name,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
  });
  let lastError: Error | undefined;
  // Every client needs an error listener, or ioredis' errors crash the process.
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new CommandFailure(
      `Redis at ${redactText(url)} is unreachable: ${(lastError ?? (err as Error)).message}`,
      EXIT.UNAVAILABLE,
    );
  }
  return redis;
}

/**
 * What a one-shot command's failure means: Redis went away (69, with `advice`), or a bug (the
 * error itself: 70 with its stack trace).
 */
export function redisFailure(redis: Redis, url: string, err: unknown, advice: string): unknown {
  if (redis.status === 'ready') return err;
  return new CommandFailure(
    `lost Redis at ${redactText(url)}: ${err instanceof Error ? err.message : String(err)}. ${advice}`,
    EXIT.UNAVAILABLE,
  );
}
