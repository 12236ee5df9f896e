import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { addJobsAtomically, toNewJob, type NewJob } from '@touchline/queue';
import type { CrmDeal } from './deal-schema.ts';
import { ordersFlowSpec, type OrderJob } from './flow-spec.ts';
import { orderKey } from './order-keys.ts';
import { toDealWrite } from './order-state.ts';
import { ordersScripts } from './scripts.ts';

export interface OrderIntakeOptions {
  /** A producer client (no offline queue): a Redis outage fails the request at once. */
  readonly redis: Redis;
  /** The `orders` queue, on the same producer client. */
  readonly queue: Queue;
  readonly prefix: string;
  /** Zone of CRM dates that carry no offset (CALLTOUCH_TIMEZONE). */
  readonly timeZone: string;
  /** How long an order's merged state outlives its last change (default 180 days). */
  readonly stateTtlSeconds?: number;
  readonly now?: () => number;
}

export interface OrderIntake {
  /**
   * Merges the deals into their orders and enqueues one job per resulting state. Resolves only
   * when both steps are in Redis; throws when Redis fails, and a repeat of the same call is
   * then safe: the merge changes nothing the second time, and jobs that exist are ignored.
   */
  accept(deals: readonly CrmDeal[]): Promise<{ accepted: number }>;
}

const DEFAULT_TTL_SECONDS = 180 * 86_400;

/** The listener's write path: one Lua call and one MULTI per webhook body. */
export function createOrderIntake(options: OrderIntakeOptions): OrderIntake {
  const { redis, queue, prefix, timeZone } = options;
  const scripts = ordersScripts(redis);
  const ttl = options.stateTtlSeconds ?? DEFAULT_TTL_SECONDS;
  const now = options.now ?? Date.now;
  return {
    async accept(deals) {
      if (deals.length === 0) return { accepted: 0 };
      const receivedAt = now();
      const orders = collapseByOrder(deals);
      const keys: string[] = [];
      const args: (string | number)[] = [ttl];
      for (const deal of orders) {
        const write = toDealWrite(deal, timeZone, receivedAt);
        keys.push(orderKey(prefix, write.orderNumber));
        args.push(write.statusDateIfFirst, write.statusDateIfStatusChanges, write.fields.length);
        for (const [field, value] of write.fields) args.push(field, value);
      }
      const seqs = await scripts.ordersMerge(keys, args);
      const jobs: NewJob<OrderJob>[] = orders.map((deal, i) => {
        const seq = Number(seqs[i]);
        return toNewJob(ordersFlowSpec, {
          orderNumber: deal.orderNumber,
          seq,
          deal: withoutUndefined(deal),
        });
      });
      await addJobsAtomically(queue, jobs);
      return { accepted: deals.length };
    },
  };
}

/**
 * Several states of one order in one body become one: each later state over the earlier ones,
 * field by field, as the merge would leave them. Merged one by one, a retry of such a body would
 * flip the order back through its intermediate states and count each flip as a change.
 */
export function collapseByOrder(deals: readonly CrmDeal[]): CrmDeal[] {
  const byOrder = new Map<string, CrmDeal>();
  for (const deal of deals) {
    const earlier = byOrder.get(deal.orderNumber);
    byOrder.set(deal.orderNumber, earlier ? { ...earlier, ...withoutUndefined(deal) } : deal);
  }
  return [...byOrder.values()];
}

function withoutUndefined(deal: CrmDeal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(deal)) if (value !== undefined) out[key] = value;
  return out;
}
