import { classifyStatus, classifyTransport, mayHaveBeenProcessed } from '@touchline/http';

/** What one answer of the CRM webhook means for the lead. */
export type DeliveryVerdict =
  | { readonly kind: 'delivered' }
  /** Transient: BullMQ retries with exponential backoff and jitter. */
  | { readonly kind: 'retry'; readonly reason: string }
  /** The receiver refused this lead: parked (failed, no retry) with its answer, replayable. */
  | { readonly kind: 'park'; readonly reason: string };

/** Longest part of the receiver's answer kept on a parked or retried lead. */
export const MAX_ANSWER_CHARS = 500;

export function truncateAnswer(body: string, max = MAX_ANSWER_CHARS): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max)}…[${flat.length - max} more]`;
}

/**
 * Classifies the receiver's HTTP answer (`classifyStatus` of `@touchline/http`). Pure. 2xx
 * delivered; a refusal of the content (4xx) parks the lead with the status and the start of the
 * answer; everything else — 5xx, 408, 425, 429, refused credentials (the secret is being
 * rotated: the lead is not at fault), a 3xx (redirects are not followed with a signed body) —
 * is retried.
 */
export function toDeliveryVerdict(status: number, body: string): DeliveryVerdict {
  const failure = classifyStatus(status);
  if (!failure) return { kind: 'delivered' };
  const answer = body ? `: ${truncateAnswer(body)}` : '';
  const reason = `receiver answered HTTP ${status}${answer}`;
  return failure.kind === 'rejected' ? { kind: 'park', reason } : { kind: 'retry', reason };
}

/**
 * A transport failure (no HTTP answer). `maybeDelivered` is false only when the request
 * provably did not reach the receiver; after a timeout or a reset it may have been processed,
 * so its next delivery is counted as a duplicate.
 */
export function toTransportFailure(err: unknown): { reason: string; maybeDelivered: boolean } {
  const failure = classifyTransport(err);
  const message = err instanceof Error ? err.message : String(err);
  return {
    reason: `no answer from the receiver (${failure.code}): ${message}`,
    maybeDelivered: mayHaveBeenProcessed(failure),
  };
}
