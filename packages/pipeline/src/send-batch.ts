import { CalltouchError } from '@touchline/calltouch';
import type { CalltouchEndpoint } from '@touchline/config';
import type { Limiter } from '@touchline/limiter';
import type { ItemOutcome } from './outcome.ts';
import { BudgetPausedError, type PointsBudget } from './points.ts';
import type { SendResult } from './bisect.ts';
import type { DeliveryContext } from './batch-consumer.ts';
import { withDeparture } from './calltouch-gate.ts';

/** Thrown out of a bisection for failures that concern the request, not its items. */
export class TransientDeliveryError extends Error {
  override readonly name = 'TransientDeliveryError';
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

export interface SendBatchOptions {
  readonly limiter: Limiter;
  /** The endpoint the request goes to (for the points budget). */
  readonly endpoint?: CalltouchEndpoint;
  /** Checked before each request: a paused endpoint defers its items to the next day. */
  readonly budget?: PointsBudget;
  /** Recognises Calltouch's "points exhausted" answer (not documented: configuration). */
  readonly isPointsExhausted?: (err: CalltouchError) => boolean;
  /** Longest time one batch keeps waiting out 429s before its items are deferred. */
  readonly maxRateLimitHoldMs?: number;
  readonly onRateLimited?: (retryAfterMs: number) => void;
}

/** Thrown when 429s kept a batch waiting too long: the consumer defers its items (no attempt spent). */
export class RateLimitedDeliveryError extends Error {
  override readonly name = 'RateLimitedDeliveryError';
  constructor(readonly retryAfterMs: number) {
    super(`Calltouch kept answering 429; deferring for ${retryAfterMs} ms`);
  }
}

/**
 * Sends one request for `items` and classifies the answer for {@link bisect}:
 * - accepted → ok; rejected (4xx) → rejected with Calltouch's reason (the batch is bisected);
 * - 429 → the whole fleet pauses for Retry-After and the same request is sent again — a 429
 *   never costs an item an attempt;
 * - 5xx, timeouts, network errors, 401 → {@link TransientDeliveryError}: the items are retried
 *   by BullMQ with exponential backoff.
 */
export async function sendBatch<T extends { readonly id: string }>(
  items: readonly T[],
  request: (items: readonly T[]) => Promise<unknown>,
  ctx: DeliveryContext,
  options: SendBatchOptions,
): Promise<SendResult> {
  const holdUntil = Date.now() + (options.maxRateLimitHoldMs ?? 60_000);
  for (;;) {
    if (options.budget && options.endpoint) await options.budget.check(options.endpoint);
    try {
      await withDeparture(
        items.map((i) => i.id),
        ctx.inflightKey,
        () => request(items),
      );
      return { ok: true };
    } catch (err) {
      if (!(err instanceof CalltouchError)) throw err;
      if (options.budget && options.isPointsExhausted?.(err)) {
        await options.budget.markExhausted();
        const { nextDayAt } = await options.budget.status();
        throw new BudgetPausedError(
          err.endpoint,
          nextDayAt,
          'Calltouch answered that the points are exhausted',
        );
      }
      if (err.code === 'REJECTED' || err.code === 'INVALID_PAYLOAD') {
        return { ok: false, kind: 'rejected', reason: describeRejection(err) };
      }
      if (err.code === 'RATE_LIMITED') {
        const waitMs = err.retryAfterMs ?? 1_000;
        options.onRateLimited?.(waitMs);
        await options.limiter.penalize(waitMs);
        if (Date.now() + waitMs > holdUntil) throw new RateLimitedDeliveryError(waitMs);
        continue;
      }
      throw new TransientDeliveryError(`${err.code}: ${err.message}`, err);
    }
  }
}

/** The reason an operator reads on a parked item: status and Calltouch's own words. */
export function describeRejection(err: CalltouchError): string {
  if (err.code === 'INVALID_PAYLOAD') return `not sent, Calltouch would refuse it: ${err.message}`;
  const body = err.body ? `: ${err.body.slice(0, 500)}` : '';
  return `Calltouch ${err.endpoint} rejected the request (HTTP ${err.status ?? '—'})${body}`;
}

/**
 * The outcome of the items a delivery could not settle because the request failed as a whole:
 * 429s held too long and a paused budget defer them (no attempt spent); anything else is a
 * transient failure, retried by BullMQ with backoff.
 */
export function toUnsettledOutcome(err: unknown, now = Date.now()): ItemOutcome {
  if (err instanceof RateLimitedDeliveryError) {
    return { kind: 'deferred', untilMs: now + err.retryAfterMs, reason: err.message };
  }
  if (err instanceof BudgetPausedError)
    return { kind: 'deferred', untilMs: err.untilMs, reason: err.message };
  return { kind: 'retry', reason: err instanceof Error ? err.message : String(err) };
}

/** Builds the "points exhausted" recogniser from configured statuses and a body pattern. */
export function pointsExhaustedMatcher(statuses: readonly number[], pattern: RegExp | undefined) {
  return (err: CalltouchError): boolean =>
    (err.status !== undefined && statuses.includes(err.status)) ||
    (pattern !== undefined && err.body !== undefined && pattern.test(err.body));
}
