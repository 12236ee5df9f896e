import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '@touchline/logger';
import { orderLockKey } from './order-keys.ts';
import { ordersScripts } from './scripts.ts';

export interface HeldLocks {
  /** Order numbers this holder got. */
  readonly held: ReadonlySet<string>;
  /** Releases every lock still ours (compare-and-delete); idempotent. */
  release(): Promise<void>;
}

/**
 * Per-order exclusivity across worker processes: while one process sends an order, no other
 * sends the same order, so an update can never overtake its create and two states of one order
 * never race. Locks expire (`ttlMs`) if their holder dies, and are renewed while held.
 */
export async function lockOrders(
  redis: Redis,
  prefix: string,
  orderNumbers: readonly string[],
  ttlMs: number,
  logger: Logger,
): Promise<HeldLocks> {
  const token = randomUUID();
  const scripts = ordersScripts(redis);
  const pipeline = redis.pipeline();
  for (const n of orderNumbers) pipeline.set(orderLockKey(prefix, n), token, 'PX', ttlMs, 'NX');
  const replies = (await pipeline.exec()) ?? [];
  const held = new Set(orderNumbers.filter((_, i) => replies[i]?.[1] === 'OK'));
  const renew = setInterval(
    () => {
      for (const n of held) {
        void scripts
          .ordersUnlock(orderLockKey(prefix, n), token, ttlMs)
          .catch((err: unknown) =>
            logger.warn({ err, orderNumber: n }, 'could not renew order lock'),
          );
      }
    },
    Math.max(1, Math.floor(ttlMs / 3)),
  );
  renew.unref();
  let released: Promise<void> | undefined;
  return {
    held,
    release: () =>
      (released ??= (async () => {
        clearInterval(renew);
        await Promise.all(
          [...held].map((n) => scripts.ordersUnlock(orderLockKey(prefix, n), token, 'del')),
        );
      })()),
  };
}
