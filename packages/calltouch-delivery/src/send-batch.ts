import { setTimeout as sleep } from 'node:timers/promises';
import {
  isCalltouchError,
  type CalltouchEndpoint,
  type CalltouchError,
} from '@touchline/calltouch';
import { mayHaveBeenProcessed } from '@touchline/http';
import type { Limiter } from '@touchline/limiter';
import type { DeliveryContext, InflightMarks, ItemOutcome, SendResult } from '@touchline/queue';
import { withDeparture } from './gate.ts';
import { BudgetPausedError, type PointsBudget } from './points.ts';

/** Thrown out of a bisection for failures that concern the request, not its items. */
export class TransientDeliveryError extends Error {
  override readonly name = 'TransientDeliveryError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Thrown when 429s kept a batch waiting too long: the consumer defers its items (no attempt spent). */
export class RateLimitedDeliveryError extends Error {
  override readonly name = 'RateLimitedDeliveryError';
  constructor(readonly retryAfterMs: number) {
    super(`Calltouch kept answering 429; deferring for ${retryAfterMs} ms`);
  }
}

/** Thrown when the process is stopping and the request has not left: the items go back. */
export class NotSentError extends Error {
  override readonly name = 'NotSentError';
  constructor(reason: string) {
    super(`not sent: ${reason}`);
  }
}

export interface SendOptions {
  readonly limiter: Limiter;
  /** The endpoint the request goes to (points budget, "points exhausted" answers). */
  readonly endpoint: CalltouchEndpoint;
  /** Recognises Calltouch's "points exhausted" answer, and the budget it then closes. */
  readonly exhaustion?: {
    readonly budget: PointsBudget;
    readonly matches: (err: CalltouchError) => boolean;
  };
  /** Longest time one request keeps waiting out 429s before its items are deferred. */
  readonly maxRateLimitHoldMs?: number;
  readonly onRateLimited?: (retryAfterMs: number) => void;
}

/** What a request carries: item ids to mark in flight (none for an export), and how to stop. */
export interface RequestContext {
  readonly ids?: readonly string[];
  readonly inflight?: InflightMarks;
  readonly signal?: AbortSignal;
}

/**
 * Sends one Calltouch request through the gate and classifies a failure (`failure` of the
 * error, `@touchline/http`) — the one place that turns Calltouch's answers into decisions:
 * - a 429 slows the whole fleet down (wider spacing, and a pause when the window does not
 *   explain it) and the same request goes again; it never costs an item an attempt, and past
 *   `maxRateLimitHoldMs` the items are deferred;
 * - every other failure is thrown as it is for the caller to classify ({@link sendBatch});
 * - a definite answer that is not a success clears the items' in-flight marks (nothing was
 *   accepted); after a timeout or a connection lost mid-request the marks stay (it may have
 *   been), so the next delivery counts as a duplicate;
 * - the shutdown signal is honoured while waiting (limiter, 429 pauses): the request then does
 *   not leave and {@link NotSentError} is thrown; a request in flight finishes.
 */
export async function sendRequest<R>(
  context: RequestContext,
  request: () => Promise<R>,
  options: SendOptions,
): Promise<R> {
  const { ids = [], inflight, signal } = context;
  const holdUntil = Date.now() + (options.maxRateLimitHoldMs ?? 60_000);
  const departure = {
    ids: inflight ? ids : [],
    inflightKey: inflight?.key ?? '',
    signal,
  };
  for (;;) {
    if (signal?.aborted) throw new NotSentError('shutting down');
    try {
      return await withDeparture(departure, request);
    } catch (err) {
      // Stopped while waiting (the limiter, the budget): the request never left. An error that
      // is an answer from Calltouch came from a request in flight, which finishes as usual.
      if (signal?.aborted && !isCalltouchError(err)) throw new NotSentError('shutting down');
      if (!isCalltouchError(err) || !err.failure) throw err;
      const { failure } = err;
      if (!mayHaveBeenProcessed(failure) && inflight && ids.length > 0) {
        // A definite answer, or a connection refused before sending: nothing was accepted.
        await inflight.clear(ids);
      }
      if (options.exhaustion?.matches(err)) {
        const { budget } = options.exhaustion;
        await budget.markExhausted();
        const { nextDayAt } = await budget.status();
        throw new BudgetPausedError(
          options.endpoint,
          nextDayAt,
          `Calltouch answered that the points are exhausted (${err.what})`,
        );
      }
      if (failure.kind !== 'rate_limited') throw err;
      const retryAfterMs = failure.retryAfterMs ?? 0;
      options.onRateLimited?.(retryAfterMs);
      // The limiter widens the spacing of the whole egress and decides whether the fleet must
      // also pause: only when the window does not explain the 429 (packages/limiter/src/penalize.lua).
      const pauseMs = await options.limiter.penalize(retryAfterMs);
      if (Date.now() + pauseMs > holdUntil) {
        throw new RateLimitedDeliveryError(Math.max(pauseMs, retryAfterMs, 1_000));
      }
      if (pauseMs <= 0) continue; // the same request goes again, through the wider spacing
      // The limiter holds every process for the pause; this one waits it out here too, so a
      // shutdown during the pause hands the items back at once.
      try {
        await sleep(Math.min(pauseMs, 250), undefined, { signal });
      } catch {
        throw new NotSentError('shutting down');
      }
    }
  }
}

/**
 * Sends one request for a batch and answers {@link bisect}'s question — accepted, or refused
 * with Calltouch's reason (the batch is then split to find the bad items). Anything that is not
 * about the items — 5xx, timeouts, refused credentials — is thrown as a
 * {@link TransientDeliveryError}: BullMQ retries the items with backoff.
 */
export async function sendBatch<T extends { readonly id: string }, R = unknown>(
  batch: readonly T[],
  request: (batch: readonly T[]) => Promise<R>,
  ctx: DeliveryContext,
  options: SendOptions,
): Promise<SendResult<R>> {
  try {
    const answer = await sendRequest(
      { ids: batch.map((i) => i.id), inflight: ctx.inflight, signal: ctx.signal },
      () => request(batch),
      options,
    );
    return { ok: true, answer };
  } catch (err) {
    if (!isCalltouchError(err)) throw err;
    if (!err.failure || err.failure.kind === 'rejected') {
      return { ok: false, kind: 'rejected', reason: describeRejection(err), cause: err };
    }
    throw new TransientDeliveryError(`${err.code}: ${err.message}`, { cause: err });
  }
}

/** The reason an operator reads on a parked item: status and Calltouch's own words. */
export function describeRejection(err: CalltouchError): string {
  if (!err.failure) return `not sent, Calltouch would refuse it: ${err.message}`;
  const body = err.body ? `: ${err.body.slice(0, 500)}` : '';
  return `Calltouch ${err.endpoint} rejected the request (HTTP ${err.status ?? '—'})${body}`;
}

/**
 * The outcome of the items a delivery could not settle because the request failed as a whole:
 * a shutdown before departure releases them untouched; 429s held too long and a paused budget
 * defer them (no attempt spent); anything else is a transient failure, retried by BullMQ with
 * backoff.
 */
export function toUnsettledOutcome(err: unknown, now = Date.now()): ItemOutcome {
  if (err instanceof NotSentError) return { kind: 'released', reason: err.message };
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
