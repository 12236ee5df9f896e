/**
 * What happened to one item of a batch. The consumer turns each into a BullMQ transition:
 * - delivered  → completed (`duplicate` when it may have been delivered before: counted);
 * - superseded → completed without sending (a later state of the same order covers it);
 * - rejected   → failed at once, no retry: parked with the reason, replayable;
 * - retry      → failed with attempts left: BullMQ retries it with backoff (consumes an attempt);
 * - deferred   → delayed until `untilMs` without consuming an attempt (429, busy order).
 */
export type ItemOutcome =
  | { readonly kind: 'delivered'; readonly duplicate?: boolean; readonly result?: unknown }
  | { readonly kind: 'superseded'; readonly by?: string }
  | { readonly kind: 'rejected'; readonly reason: string }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'deferred'; readonly untilMs: number; readonly reason: string };

export interface BatchItem<T> {
  /** The BullMQ job id (the item's idempotency key: MCN callid, order state id, lead id). */
  readonly id: string;
  readonly data: T;
  /** Attempts made so far (retries after transient failures). */
  readonly attemptsMade: number;
  /** True when this item was in a request whose answer never came (it may be delivered). */
  readonly maybeDelivered: boolean;
}
