import type { Redis } from 'ioredis';
import type { Logger } from '@touchline/logger';

export type EvictionCheck =
  | { readonly ok: true; readonly policy: 'noeviction' }
  | { readonly ok: false; readonly policy: string | undefined; readonly reason: string };

/**
 * Reads `maxmemory-policy` and warns loudly unless it is `noeviction`: under any other policy
 * Redis may delete queued jobs and checkpoints when memory runs short, losing items silently.
 */
export async function checkEvictionPolicy(client: Redis, logger: Logger): Promise<EvictionCheck> {
  let policy: string | undefined;
  try {
    const reply = (await client.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch (err) {
    const reason = `could not read maxmemory-policy (${(err as Error).message}); make sure it is noeviction`;
    logger.warn({ component: 'redis' }, reason);
    return { ok: false, policy: undefined, reason };
  }
  if (policy === 'noeviction') {
    // Said at debug level, so a clean start stays free of warnings while the check is visible.
    logger.debug({ component: 'redis', maxmemoryPolicy: policy }, 'maxmemory-policy is noeviction');
    return { ok: true, policy };
  }
  const reason =
    `Redis maxmemory-policy is "${policy ?? 'unknown'}", not "noeviction": Redis may evict queued ` +
    'items and checkpoints under memory pressure and Touchline would lose data. ' +
    'Set maxmemory-policy noeviction (redis.conf or CONFIG SET).';
  logger.error({ component: 'redis', maxmemoryPolicy: policy }, `WARNING: ${reason}`);
  return { ok: false, policy, reason };
}
