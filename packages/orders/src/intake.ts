import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { addJobsAtomically, type NewJob } from '@touchline/pipeline';
import type { CrmDeal } from './deal-schema.ts';
import { orderJobId, orderKey } from './order-keys.ts';
import { ORDER_JOB_NAME, type OrderJob } from './order-job.ts';
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
      const keys: string[] = [];
      const args: (string | number)[] = [ttl];
      for (const deal of deals) {
        const write = toDealWrite(deal, timeZone, receivedAt);
        keys.push(orderKey(prefix, write.orderNumber));
        args.push(write.statusDateIfFirst, write.statusDateIfStatusChanges, write.fields.length);
        for (const [field, value] of write.fields) args.push(field, value);
      }
      const seqs = await scripts.ordersMerge(keys, args);
      const jobs: NewJob<OrderJob>[] = [];
      const ids = new Set<string>();
      deals.forEach((deal, i) => {
        const seq = Number(seqs[i]);
        const jobId = orderJobId(deal.orderNumber, seq);
        // The same state twice in one body: one job.
        if (ids.has(jobId)) return;
        ids.add(jobId);
        jobs.push({
          name: ORDER_JOB_NAME,
          data: { orderNumber: deal.orderNumber, seq, deal: withoutUndefined(deal) },
          opts: { jobId },
        });
      });
      await addJobsAtomically(queue, jobs);
      return { accepted: deals.length };
    },
  };
}

function withoutUndefined(deal: CrmDeal): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(deal)) if (value !== undefined) out[key] = value;
  return out;
}
