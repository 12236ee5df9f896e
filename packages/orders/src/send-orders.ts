import { MAX_ITEMS_PER_REQUEST, type CalltouchClient } from '@touchline/calltouch';
import type { InBatchRetryOptions, SendOptions } from '@touchline/calltouch-delivery';
import type { Limiter } from '@touchline/limiter';
import type { Logger } from '@touchline/logger';
import type { DeliveryContext, ItemOutcome } from '@touchline/queue';
import {
  createIsolation,
  type DeferralReason,
  type Isolation,
  type Lane,
} from './isolate-orders.ts';
import type { OrderEntry, OrdersEndpoint } from './order-entry.ts';
import {
  toCalltouchOrderCreate,
  toCalltouchOrderUpdate,
  type OrderMappingOptions,
} from './to-calltouch-order.ts';

export interface SendOrdersOptions {
  readonly ctx: DeliveryContext;
  readonly mapping: OrderMappingOptions;
  readonly clientFor: (crm: string | undefined) => CalltouchClient;
  readonly limiter: Limiter;
  readonly maxRateLimitHoldMs?: number;
  readonly onRateLimited?: (retryAfterMs: number) => void;
  /** The points budget and how Calltouch says it is exhausted. */
  readonly exhaustion?: SendOptions['exhaustion'];
  /** How a request that fails transiently is retried within the batch (default 3 attempts). */
  readonly inBatchRetry?: Pick<InBatchRetryOptions, 'attempts' | 'firstDelayMs'>;
  /** `deferral` says why a deferred order waits (metrics). */
  readonly settle: (
    entry: OrderEntry,
    outcome: ItemOutcome,
    endpoint: OrdersEndpoint,
    deferral?: DeferralReason,
  ) => void;
  /** A 2xx carried errors; `attributed` when each named orders of its request. */
  readonly onAnswerErrors?: (endpoint: OrdersEndpoint, attributed: boolean) => void;
  /** Records in Redis that Calltouch has the order at the entry's seq. */
  readonly ack: (entry: OrderEntry, commentSentJson: string) => Promise<unknown>;
  readonly log: Logger;
}

const endpointOf = (kind: 'create' | 'update'): OrdersEndpoint =>
  kind === 'create' ? 'orders_create' : 'orders_update';

/**
 * Sends the entries: creates and updates in separate requests of up to 100, grouped by CRM
 * name; the orders Calltouch refuses are isolated (`createIsolation`: by what the answer names,
 * else by halving). A create refused on its own is tried as an update before it is parked: an
 * earlier attempt whose answer was lost may have created the order. Every delivered order is
 * acknowledged in Redis before this resolves.
 */
export async function sendOrders(
  entries: readonly OrderEntry[],
  options: SendOrdersOptions,
): Promise<void> {
  const groups = new Map<string, OrderEntry[]>();
  for (const entry of entries) {
    const key = `${entry.sentAs}\u0000${entry.state.crm ?? ''}`;
    const group = groups.get(key) ?? [];
    group.push(entry);
    groups.set(key, group);
  }
  const isolation = createIsolation({
    ctx: options.ctx,
    sendOptions: (endpoint) => ({
      limiter: options.limiter,
      endpoint,
      ...(options.exhaustion ? { exhaustion: options.exhaustion } : {}),
      ...(options.maxRateLimitHoldMs === undefined
        ? {}
        : { maxRateLimitHoldMs: options.maxRateLimitHoldMs }),
      ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
    }),
    ...(options.inBatchRetry ? { inBatchRetry: options.inBatchRetry } : {}),
    settle: options.settle,
    ...(options.onAnswerErrors ? { onAnswerErrors: options.onAnswerErrors } : {}),
    log: options.log,
  });
  // Creates first: within one batch they do not depend on each other, but it keeps the
  // Calltouch history in the order an operator expects.
  const ordered = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  for (const [, group] of ordered) {
    for (let i = 0; i < group.length; i += MAX_ITEMS_PER_REQUEST) {
      await sendChunk(group.slice(i, i + MAX_ITEMS_PER_REQUEST), options, isolation);
    }
  }
}

async function sendChunk(
  chunk: OrderEntry[],
  options: SendOrdersOptions,
  isolation: Isolation,
): Promise<void> {
  const { mapping } = options;
  const first = chunk[0];
  if (!first) return;
  const client = options.clientFor(first.state.crm);
  const delivered: OrderEntry[] = [];
  const deliver = (entry: OrderEntry, answer: unknown) => {
    delivered.push(entry);
    const outcome: ItemOutcome = {
      kind: 'delivered',
      duplicate: isolation.mayBeDuplicate(entry),
      // Calltouch's answer stays with the job (bounded: `orderAnswerOf`).
      result: { action: entry.sentAs, seq: entry.state.seq, answer },
    };
    options.settle(entry, outcome, endpointOf(entry.sentAs));
  };
  const park = (entry: OrderEntry, reason: string) =>
    options.settle(entry, { kind: 'rejected', reason }, endpointOf(entry.sentAs));
  const updates = (refused: (entry: OrderEntry, reason: string) => void): Lane => ({
    endpoint: 'orders_update',
    request: (xs) => client.updateOrders(xs.map((e) => toCalltouchOrderUpdate(e.state, mapping))),
    delivered: deliver,
    refused,
  });
  try {
    if (first.sentAs === 'update') {
      await isolation.send(updates(park), chunk);
      return;
    }
    const refusedCreates = new Map<OrderEntry, string>();
    await isolation.send(
      {
        endpoint: 'orders_create',
        request: (xs) =>
          client.createOrders(xs.map((e) => toCalltouchOrderCreate(e.state, mapping))),
        delivered: deliver,
        refused: (entry, reason) => refusedCreates.set(entry, reason),
      },
      chunk,
    );
    // Each refused create goes again as an update: accepted, Calltouch had the order.
    const asUpdates = updates((entry, reason) =>
      park(entry, `${refusedCreates.get(entry) ?? 'create refused'}; sent as an update: ${reason}`),
    );
    await isolation.send(
      {
        ...asUpdates,
        delivered: (entry, answer) => {
          options.log.info(
            { orderNumber: entry.state.orderNumber },
            'create refused, update accepted: the order existed (an earlier answer was lost)',
          );
          entry.sentAs = 'update';
          deliver(entry, answer);
        },
      },
      [...refusedCreates.keys()],
    );
  } finally {
    for (const entry of delivered) {
      const comment = entry.state.comment;
      const commentSent =
        comment !== undefined && (entry.sentAs === 'create' || comment !== entry.state.commentSent)
          ? JSON.stringify(comment)
          : '';
      await options.ack(entry, commentSent);
    }
  }
}
