import type { Redis } from 'ioredis';
import { MAX_ITEMS_PER_REQUEST, type CalltouchClient } from '@touchline/calltouch';
import type { CalltouchStack } from '@touchline/calltouch-delivery';
import type { Logger } from '@touchline/logger';
import type { InBatchRetryOptions } from '@touchline/calltouch-delivery';
import {
  answerMetrics,
  calltouchMetrics,
  deferralMetrics,
  type Registry,
} from '@touchline/metrics';
import type { BatchItem, DeliveryContext, FlowDefinition, ItemOutcome } from '@touchline/queue';
import { createBusyDeferrals, type BusyCount } from './busy-deferrals.ts';
import { ordersFlowSpec, type OrderJob } from './flow-spec.ts';
import { orderKey, orderLockKey } from './order-keys.ts';
import { lockOrders } from './order-locks.ts';
import { orderStateSchema, type OrderState } from './order-state.ts';
import { ordersScripts } from './scripts.ts';
import type { OrderEntry } from './order-entry.ts';
import { sendOrders } from './send-orders.ts';
import type { OrderMappingOptions, OrderMatchingOptions } from './to-calltouch-order.ts';

export interface OrdersFlowOptions {
  /** A worker-role client (waits for Redis rather than failing). */
  readonly redis: Redis;
  readonly prefix: string;
  /**
   * The worker's Calltouch client (it sends with its own `crm` name: deals that name none, or
   * every deal without `clientForCrm`), the shared limiter (429s pause the fleet through it)
   * and the points budget (order updates pause before creates as it runs low).
   */
  readonly calltouch: Pick<CalltouchStack, 'client' | 'limiter' | 'exhaustion'>;
  /** A client whose orders body carries `crm` (deals that name their CRM). */
  readonly clientForCrm?: (crm: string) => CalltouchClient;
  readonly logger: Logger;
  readonly registry: Registry;
  /** CALLTOUCH_TIMEZONE. */
  readonly timeZone: string;
  readonly matching?: Partial<OrderMatchingOptions>;
  readonly defaultCountry?: string;
  readonly tagsOverwrite?: boolean;
  /** How long a per-order lock lives without renewal, ms (default 60,000). */
  readonly lockTtlMs?: number;
  /** How long an item waits when another process holds its order, ms (default 1,000). */
  readonly busyDeferMs?: number;
  /**
   * An item that finds its order busy this many times in a row is parked instead of deferred
   * again (default 300): a lock that is never released must not hold an order silently for
   * ever. Counted in Redis, so a worker restart does not restart the count.
   */
  readonly maxBusyDeferrals?: number;
  /** The same bound in time, from the first busy encounter, ms (default 600,000: 10 minutes). */
  readonly maxBusyMs?: number;
  /**
   * A request that fails with a 5xx, a timeout or a network error is sent again within its batch
   * before its orders pay an attempt (default 3 attempts, 200 ms then 400 ms apart).
   */
  readonly inBatchRetry?: Pick<InBatchRetryOptions, 'attempts' | 'firstDelayMs'>;
  readonly maxRateLimitHoldMs?: number;
  readonly onRateLimited?: (retryAfterMs: number) => void;
  /** CHUNK_MAX_WAIT_MS: deals arrive one webhook at a time, so a partial batch lingers. */
  readonly maxWaitMs: number;
  /** Batches in flight per process (WORKER_BATCHES_IN_FLIGHT). */
  readonly concurrency?: number;
}

type Item = BatchItem<OrderJob>;

const BUSY_REASON = 'another worker is sending this order';

/** Of several states of one order in a batch, only the newest needs sending. */
export function pickNewest(items: readonly Item[]): {
  newest: Map<string, Item>;
  superseded: Map<string, ItemOutcome>;
} {
  const newest = new Map<string, Item>();
  const superseded = new Map<string, ItemOutcome>();
  for (const item of items) {
    const current = newest.get(item.data.orderNumber);
    if (!current || item.data.seq > current.data.seq) {
      if (current) superseded.set(current.id, { kind: 'superseded', by: item.id });
      newest.set(item.data.orderNumber, item);
    } else {
      superseded.set(item.id, { kind: 'superseded', by: current.id });
    }
  }
  return { newest, superseded };
}

/**
 * The orders flow (upsert, docs/crm-orders.md): for each order of the batch, under a per-order
 * lock, the *current* merged state is sent — with `create` until Calltouch has the order, with
 * `update` after — and on success the order records that Calltouch has it and which state it
 * holds. A job whose state Calltouch already has (or that a newer job of the batch covers)
 * completes as superseded without a request.
 */
export function createOrdersFlow(options: OrdersFlowOptions): FlowDefinition<OrderJob> {
  const { redis, prefix, logger } = options;
  const log = logger.child({ component: 'orders-delivery' });
  const scripts = ordersScripts(redis);
  const items = calltouchMetrics(options.registry).items;
  const { deferrals } = deferralMetrics(options.registry);
  const { answerErrors } = answerMetrics(options.registry);
  const lockTtlMs = options.lockTtlMs ?? 60_000;
  const busyDeferMs = options.busyDeferMs ?? 1_000;
  const maxBusyDeferrals = options.maxBusyDeferrals ?? 300;
  const maxBusyMs = options.maxBusyMs ?? 600_000;
  const busy = createBusyDeferrals(redis, prefix, ordersFlowSpec.name);
  const mapping: OrderMappingOptions = {
    timeZone: options.timeZone,
    ...(options.matching ? { matching: options.matching } : {}),
    ...(options.defaultCountry ? { defaultCountry: options.defaultCountry } : {}),
    ...(options.tagsOverwrite === undefined ? {} : { tagsOverwrite: options.tagsOverwrite }),
  };
  const clientFor = (crm: string | undefined) =>
    crm !== undefined && options.clientForCrm
      ? options.clientForCrm(crm)
      : options.calltouch.client;

  const readStates = async (orderNumbers: readonly string[]) => {
    const pipeline = redis.pipeline();
    for (const n of orderNumbers) pipeline.hgetall(orderKey(prefix, n));
    const replies = (await pipeline.exec()) ?? [];
    return orderNumbers.map((_, i) => {
      const [err, hash] = replies[i] ?? [new Error('no reply')];
      if (err) throw err;
      return orderStateSchema.safeParse(hash);
    });
  };

  /** Who holds an order's lock and for how long still, for the reason of a parked item. */
  const describeLock = async (orderNumber: string): Promise<string> => {
    const key = orderLockKey(prefix, orderNumber);
    const [holder, ttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
    if (holder === null) return `its lock ${key} has just been released`;
    const expiry = ttl < 0 ? 'with no expiry' : `expiring in ${ttl} ms`;
    return `its lock ${key} is held by "${holder.slice(0, 100)}" ${expiry}`;
  };

  /**
   * The outcome of an item whose order another holder has locked: deferred briefly, or — past
   * the bound on consecutive busy encounters, in number or in time — parked with the reason,
   * logged and counted, so that a lock nobody releases shows up instead of looping quietly.
   */
  const onBusy = async (item: Item, seen: BusyCount, nowMs: number): Promise<ItemOutcome> => {
    const { orderNumber } = item.data;
    const waitedMs = nowMs - seen.sinceMs;
    if (seen.count < maxBusyDeferrals && waitedMs < maxBusyMs) {
      deferrals.inc({ flow: ordersFlowSpec.name, reason: 'busy', result: 'deferred' });
      return {
        kind: 'deferred',
        untilMs: nowMs + busyDeferMs + Math.floor(Math.random() * (busyDeferMs / 4)),
        reason: BUSY_REASON,
      };
    }
    const lock = await describeLock(orderNumber);
    const reason =
      `order ${orderNumber}: found busy ${seen.count} times over ${(waitedMs / 1000).toFixed(1)} s ` +
      `(${BUSY_REASON}; ${lock}); parked rather than deferred again ` +
      `(bound: ${maxBusyDeferrals} times or ${maxBusyMs / 1000} s) — replay it once the lock is free`;
    log.warn(
      { orderNumber, jobId: item.id, busyCount: seen.count, waitedMs, reason },
      'order parked: busy for too long',
    );
    deferrals.inc({ flow: ordersFlowSpec.name, reason: 'busy', result: 'parked' });
    return { kind: 'rejected', reason };
  };

  /** Items whose order another holder has: each deferred or, past the bound, parked. */
  const settleBusy = async (busyItems: readonly Item[], outcomes: Map<string, ItemOutcome>) => {
    const now = Date.now();
    const seen = await busy.record(
      busyItems.map((i) => i.id),
      now,
    );
    for (const item of busyItems) {
      const count = seen.get(item.id) ?? { count: 1, sinceMs: now };
      outcomes.set(item.id, await onBusy(item, count, now));
    }
  };

  /** The entries to send, from the orders' merged states read under their locks. */
  const toEntries = async (
    locked: readonly Item[],
    outcomes: Map<string, ItemOutcome>,
  ): Promise<OrderEntry[]> => {
    const states = await readStates(locked.map((i) => i.data.orderNumber));
    const entries: OrderEntry[] = [];
    locked.forEach((item, i) => {
      const parsed = states[i];
      if (!parsed?.success) {
        outcomes.set(item.id, {
          kind: 'rejected',
          reason: `order ${item.data.orderNumber}: no readable merged state in Redis (${parsed?.error.issues[0]?.message ?? 'missing'})`,
        });
        return;
      }
      const state: OrderState = parsed.data;
      if (item.data.seq <= state.applied) {
        outcomes.set(item.id, { kind: 'superseded', by: `applied seq ${state.applied}` });
        return;
      }
      entries.push({ id: item.id, item, state, sentAs: state.created ? 'update' : 'create' });
    });
    return entries;
  };

  const send = (entries: OrderEntry[], ctx: DeliveryContext, outcomes: Map<string, ItemOutcome>) =>
    sendOrders(entries, {
      ctx,
      mapping,
      clientFor,
      limiter: options.calltouch.limiter,
      exhaustion: options.calltouch.exhaustion,
      ...(options.maxRateLimitHoldMs === undefined
        ? {}
        : { maxRateLimitHoldMs: options.maxRateLimitHoldMs }),
      ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
      ...(options.inBatchRetry ? { inBatchRetry: options.inBatchRetry } : {}),
      onAnswerErrors: (endpoint, attributed) =>
        answerErrors.inc({ endpoint, attributed: attributed ? 'yes' : 'no' }),
      settle: (entry, outcome, endpoint, deferral) => {
        outcomes.set(entry.id, outcome);
        if (outcome.kind === 'deferred') {
          const reason = deferral ?? 'calltouch_failing';
          deferrals.inc({ flow: ordersFlowSpec.name, reason, result: 'deferred' });
        } else if (outcome.kind === 'delivered') {
          // Delivered counts each order state once; a re-send after a lost answer is
          // also counted as a duplicate (as for calls).
          items.inc({ endpoint, outcome: 'delivered' });
          if (outcome.duplicate) items.inc({ endpoint, outcome: 'duplicate' });
        } else if (outcome.kind === 'rejected') {
          items.inc({ endpoint, outcome: 'rejected' });
        }
      },
      ack: (entry, commentSent) =>
        scripts.ordersAck(orderKey(prefix, entry.state.orderNumber), entry.state.seq, commentSent),
      log,
    });

  return {
    ...ordersFlowSpec,
    batch: {
      max: MAX_ITEMS_PER_REQUEST,
      maxWaitMs: options.maxWaitMs,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    },
    deliver: async (batch, ctx) => {
      const { newest, superseded } = pickNewest(batch);
      const outcomes = new Map<string, ItemOutcome>(superseded);
      const locks = await lockOrders(redis, prefix, [...newest.keys()], lockTtlMs, log);
      try {
        const mine = [...newest.values()];
        await settleBusy(
          mine.filter((i) => !locks.held.has(i.data.orderNumber)),
          outcomes,
        );
        const entries = await toEntries(
          mine.filter((i) => locks.held.has(i.data.orderNumber)),
          outcomes,
        );
        await send(entries, ctx, outcomes);
      } finally {
        await locks
          .release()
          .catch((err: unknown) => log.warn({ err }, 'could not release order locks'));
      }
      // A run of busy deferrals ends with any other settlement: its count goes.
      const ended = batch.filter((i) => {
        const outcome = outcomes.get(i.id);
        return !(outcome?.kind === 'deferred' && outcome.reason === BUSY_REASON);
      });
      await busy
        .clear(ended.map((i) => i.id))
        .catch((err: unknown) => log.warn({ err }, 'could not clear busy counts'));
      return outcomes;
    },
  };
}
