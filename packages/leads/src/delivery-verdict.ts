/** What one answer of the CRM webhook means for the lead. */
export type DeliveryVerdict =
  | { readonly kind: 'delivered' }
  /** Transient: BullMQ retries with exponential backoff and jitter. */
  | { readonly kind: 'retry'; readonly reason: string }
  /** The receiver refused this lead: parked (failed, no retry) with its answer, replayable. */
  | { readonly kind: 'park'; readonly reason: string };

/** Longest part of the receiver's answer kept on a parked or retried lead. */
export const MAX_ANSWER_CHARS = 500;

/** 4xx that say "later", not "never": retried like a 5xx. */
const TRANSIENT_4XX = new Set([408, 425, 429]);

export function truncateAnswer(body: string, max = MAX_ANSWER_CHARS): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max)}…[${flat.length - max} more]`;
}

/**
 * Classifies the receiver's HTTP answer. Pure. 2xx delivered; 5xx, 408, 425 and 429 retried;
 * any other status (4xx, and 3xx since redirects are not followed with a signed body) parks
 * the lead with the status and the start of the answer.
 */
export function toDeliveryVerdict(status: number, body: string): DeliveryVerdict {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const answer = body ? `: ${truncateAnswer(body)}` : '';
  const reason = `receiver answered HTTP ${status}${answer}`;
  if (status >= 500 || TRANSIENT_4XX.has(status)) return { kind: 'retry', reason };
  return { kind: 'park', reason };
}

/** Connection errors where the request provably never reached the receiver. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * A transport failure (no HTTP answer). `maybeDelivered` is false only when the request
 * provably did not reach the receiver; after a timeout or a reset it may have been processed,
 * so its next delivery is counted as a duplicate.
 */
export function toTransportFailure(err: unknown): { reason: string; maybeDelivered: boolean } {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const codeText = typeof code === 'string' ? code : 'ERROR';
  return {
    reason: `no answer from the receiver (${codeText}): ${message}`,
    maybeDelivered: !(typeof code === 'string' && NOT_SENT_CODES.has(code)),
  };
}
