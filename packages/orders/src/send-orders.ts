import { MAX_ITEMS_PER_REQUEST, type CalltouchClient } from '@touchline/calltouch';
import { sendBatch, toUnsettledOutcome, type SendOptions } from '@touchline/calltouch-delivery';
import type { Limiter } from '@touchline/limiter';
import type { Logger } from '@touchline/logger';
import { bisect, type BatchItem, type DeliveryContext, type ItemOutcome } from '@touchline/queue';
import type { OrderJob } from './flow-spec.ts';
import type { OrderState } from './order-state.ts';
import {
  toCalltouchOrderCreate,
  toCalltouchOrderUpdate,
  type OrderMappingOptions,
} from './to-calltouch-order.ts';

/** One order on its way: the job, the state read under the lock, and how it goes out. */
export interface OrderEntry {
  readonly id: string;
  readonly item: BatchItem<OrderJob>;
  readonly state: OrderState;
  sentAs: 'create' | 'update';
}

export type OrdersEndpoint = 'orders_create' | 'orders_update';

export interface SendOrdersOptions {
  readonly ctx: DeliveryContext;
  readonly mapping: OrderMappingOptions;
  readonly clientFor: (crm: string | undefined) => CalltouchClient;
  readonly limiter: Limiter;
  readonly maxRateLimitHoldMs?: number;
  readonly onRateLimited?: (retryAfterMs: number) => void;
  /** The points budget and how Calltouch says it is exhausted. */
  readonly exhaustion?: SendOptions['exhaustion'];
  readonly settle: (entry: OrderEntry, outcome: ItemOutcome, endpoint: OrdersEndpoint) => void;
  /** Records in Redis that Calltouch has the order at the entry's seq. */
  readonly ack: (entry: OrderEntry, commentSentJson: string) => Promise<unknown>;
  readonly log: Logger;
}

const endpointOf = (kind: 'create' | 'update'): OrdersEndpoint =>
  kind === 'create' ? 'orders_create' : 'orders_update';

/**
 * Sends the entries: creates and updates in separate requests of up to 100, grouped by CRM
 * name, each rejected request bisected down to the bad orders. A create rejected on its own is
 * tried as an update before it is parked: an earlier attempt whose answer was lost may have
 * created the order. Every delivered order is acknowledged in Redis before this resolves.
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
  // Creates first: within one batch they do not depend on each other, but it keeps the
  // Calltouch history in the order an operator expects.
  const ordered = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  for (const [, group] of ordered) {
    for (let i = 0; i < group.length; i += MAX_ITEMS_PER_REQUEST) {
      await sendChunk(group.slice(i, i + MAX_ITEMS_PER_REQUEST), options);
    }
  }
}

async function sendChunk(chunk: OrderEntry[], options: SendOrdersOptions): Promise<void> {
  const { ctx, mapping, limiter } = options;
  const first = chunk[0];
  if (!first) return;
  const kind = first.sentAs;
  const client = options.clientFor(first.state.crm);
  const sendOptions: SendOptions = {
    limiter,
    endpoint: endpointOf(kind),
    ...(options.exhaustion ? { exhaustion: options.exhaustion } : {}),
    ...(options.maxRateLimitHoldMs === undefined
      ? {}
      : { maxRateLimitHoldMs: options.maxRateLimitHoldMs }),
    ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
  };
  const updateOf = (e: OrderEntry) => toCalltouchOrderUpdate(e.state, mapping);
  const request = (xs: readonly OrderEntry[]) =>
    kind === 'create'
      ? client.createOrders(xs.map((e) => toCalltouchOrderCreate(e.state, mapping)))
      : client.updateOrders(xs.map(updateOf));
  const settled = new Set<string>();
  const delivered: OrderEntry[] = [];
  const settle = (entry: OrderEntry, outcome: ItemOutcome) => {
    settled.add(entry.id);
    const final: ItemOutcome =
      outcome.kind === 'delivered'
        ? {
            kind: 'delivered',
            duplicate: entry.item.maybeDelivered,
            result: { action: entry.sentAs, seq: entry.state.seq },
          }
        : outcome;
    if (final.kind === 'delivered') delivered.push(entry);
    options.settle(entry, final, endpointOf(entry.sentAs));
  };
  const asUpdate =
    kind === 'create'
      ? async (entry: OrderEntry, reason: string): Promise<ItemOutcome | undefined> => {
          const result = await sendBatch(
            [entry],
            (xs) => client.updateOrders(xs.map(updateOf)),
            ctx,
            { ...sendOptions, endpoint: 'orders_update' },
          );
          if (result.ok) {
            options.log.info(
              { orderNumber: entry.state.orderNumber },
              'create refused, update accepted: the order existed (an earlier answer was lost)',
            );
            entry.sentAs = 'update';
            return { kind: 'delivered' };
          }
          return { kind: 'rejected', reason: `${reason}; sent as an update: ${result.reason}` };
        }
      : undefined;
  try {
    await bisect(chunk, (xs) => sendBatch(xs, request, ctx, sendOptions), settle, asUpdate);
  } catch (err) {
    const outcome = toUnsettledOutcome(err);
    for (const entry of chunk) {
      if (!settled.has(entry.id)) options.settle(entry, outcome, endpointOf(entry.sentAs));
    }
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
