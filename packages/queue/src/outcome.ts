import type { Lane } from './lanes.ts';

/**
 * What happened to one item of a batch. The consumer turns each into a BullMQ transition:
 * - delivered  → completed (`duplicate` when it may have been delivered before: counted);
 * - superseded → completed without sending (a later state of the same order covers it);
 * - rejected   → failed at once, no retry: parked with the reason, replayable;
 * - retry      → failed with attempts left: BullMQ retries it with backoff (consumes an attempt);
 * - deferred   → delayed until `untilMs` without consuming an attempt (429, busy order, budget);
 * - released   → back to waiting, untouched: its request never left (the process is stopping).
 */
export type ItemOutcome =
  | { readonly kind: 'delivered'; readonly duplicate?: boolean; readonly result?: unknown }
  | { readonly kind: 'superseded'; readonly by?: string }
  | { readonly kind: 'rejected'; readonly reason: string }
  | {
      readonly kind: 'retry';
      readonly reason: string;
      /** An unexpected exception (a bug, not the items): its stack trace stays with the items. */
      readonly error?: Error;
    }
  | { readonly kind: 'deferred'; readonly untilMs: number; readonly reason: string }
  | { readonly kind: 'released'; readonly reason: string };

export interface BatchItem<T> {
  /** The BullMQ job id (the item's idempotency key: MCN callid, order state id, lead id). */
  readonly id: string;
  readonly data: T;
  /** Attempts made so far (retries after transient failures). */
  readonly attemptsMade: number;
  /** Attempts the item has in all; a `retry` on the last one parks it. */
  readonly attempts: number;
  /** True when this item was in a request whose answer never came (it may be delivered). */
  readonly maybeDelivered: boolean;
  /** The lane it waited in (`live` ahead of `backlog`, see lanes.ts). */
  readonly lane: Lane;
}

/** Items in flight: marked when their request leaves, cleared when an answer settles them. */
export interface InflightMarks {
  /** The Redis hash of marks, for a sender that marks atomically at departure (the limiter). */
  readonly key: string;
  mark(ids: readonly string[]): Promise<void>;
  clear(ids: readonly string[]): Promise<void>;
}

/** What a flow's `deliver` is handed beside its items. */
export interface DeliveryContext {
  /**
   * Aborted when the process shuts down. A sender stops waiting (limiter, 429 pauses) and
   * reports the items whose request has not left as `released`; a request in flight finishes.
   */
  readonly signal: AbortSignal;
  /**
   * The flow's in-flight marks. A sender marks items when their request leaves and clears them
   * when a definite answer other than success comes back (nothing was accepted); the consumer
   * clears delivered items after they are settled, so a crash in between counts the re-send as
   * a duplicate instead of hiding it.
   */
  readonly inflight: InflightMarks;
}
