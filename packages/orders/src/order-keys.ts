import { keyPart } from '@touchline/queue';

/**
 * Redis keys of the orders flow. Keys live under QUEUE_PREFIX, so a prefix with a hash tag
 * (`{touchline}`) keeps them in the queue's Cluster slot, which the merge script and the MULTI
 * that adds the jobs need. The order number is data: `keyPart` encodes it so that no order
 * number can name another order's key or lock (`V:lock` is not `V`'s lock).
 */
export const orderKey = (prefix: string, orderNumber: string): string =>
  `${prefix}:order:${keyPart(orderNumber)}`;

export const orderLockKey = (prefix: string, orderNumber: string): string =>
  `${orderKey(prefix, orderNumber)}:lock`;
