import { setTimeout as sleep } from 'node:timers/promises';
import { isCalltouchError } from '@touchline/calltouch';
import { mayHaveBeenProcessed } from '@touchline/http';
import { NotSentError, TransientDeliveryError } from './send-batch.ts';

export interface InBatchRetryOptions {
  /** Attempts in all, the first included (default 3). */
  readonly attempts?: number;
  /** Pause before the second attempt, doubled for each next one, ±25% jitter (default 200 ms). */
  readonly firstDelayMs?: number;
  /** The shutdown signal: a pause it ends sends nothing more ({@link NotSentError}). */
  readonly signal?: AbortSignal;
  /** Told of each failure about to be retried (to note that its items may have arrived). */
  readonly onRetry?: (err: unknown, attempt: number) => void;
}

/** The Calltouch failure under a {@link TransientDeliveryError}, if any. */
const failureOf = (err: unknown) =>
  err instanceof TransientDeliveryError && isCalltouchError(err.cause)
    ? err.cause.failure
    : undefined;

/**
 * Whether a failed request is worth sending again at once, within its batch: a 5xx, a timeout
 * or a network error says "not now" about the request, not about its items. A 429 never gets
 * here (the limiter waits it out), nor does a refusal; refused credentials do not get better in
 * a few hundred milliseconds.
 */
export function isRetriableInBatch(err: unknown): boolean {
  const failure = failureOf(err);
  return (
    failure !== undefined &&
    (failure.kind === 'unavailable' || failure.kind === 'timeout' || failure.kind === 'network')
  );
}

/** Whether a request that failed this way may still have been processed (no answer came). */
export function mayHaveArrived(err: unknown): boolean {
  const failure = failureOf(err);
  return failure !== undefined && mayHaveBeenProcessed(failure);
}

/**
 * Runs `send` (one request: {@link sendBatch}) and, when it fails transiently, runs it again
 * after a short pause, a bounded number of times, before the failure reaches the items. Under
 * a few percent of 5xx this keeps an item from paying a BullMQ attempt — and a backoff of a
 * second or more — for one unlucky request, while a Calltouch that stays down still fails the
 * batch within a second or so. Each attempt passes the limiter again. A shutdown during a pause
 * throws {@link NotSentError}: the items go back untouched.
 */
export async function withInBatchRetry<R>(
  send: () => Promise<R>,
  options: InBatchRetryOptions = {},
): Promise<R> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const firstDelayMs = options.firstDelayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (attempt >= attempts || !isRetriableInBatch(err) || options.signal?.aborted) throw err;
      options.onRetry?.(err, attempt);
      const base = firstDelayMs * 2 ** (attempt - 1);
      const pauseMs = Math.round(base * (0.75 + Math.random() * 0.5));
      try {
        await sleep(pauseMs, undefined, { signal: options.signal });
      } catch {
        throw new NotSentError('shutting down during an in-batch retry');
      }
    }
  }
}
