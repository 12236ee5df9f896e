/**
 * Redis keys and job ids of the orders flow. Keys live under QUEUE_PREFIX, so a prefix with a
 * hash tag (`{touchline}`) keeps them in the queue's Cluster slot, which the merge script and
 * the MULTI that adds the jobs need.
 */
export const orderKey = (prefix: string, orderNumber: string): string =>
  `${prefix}:order:${orderNumber}`;

export const orderLockKey = (prefix: string, orderNumber: string): string =>
  `${orderKey(prefix, orderNumber)}:lock`;

/**
 * The job id of one merged state: `order-<orderNumber>-<seq>`. BullMQ ids may not contain ':',
 * so it is escaped — injectively (`%` first), so that two order numbers never share an id and
 * one CRM deal never silences another's.
 */
export function orderJobId(orderNumber: string, seq: number): string {
  const safe = orderNumber.replace(/%/g, '%25').replace(/:/g, '%3A');
  return `order-${safe}-${seq}`;
}
