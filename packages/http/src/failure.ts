import { parseRetryAfter } from './retry-after.ts';

/**
 * What went wrong with one outgoing HTTP request, in the terms every sender decides by. The one
 * classification of Touchline: the Calltouch client, the MCN client and the lead webhook
 * delivery all turn their failures into a `Failure`, and the retry decisions read only this.
 *
 * - `rate_limited`: 429. A definite answer: nothing was processed; send the same request again
 *   after `retryAfterMs` (and slow down the fleet).
 * - `rejected`: a 4xx that refuses the request's content. Sending the same bytes again gets the
 *   same answer: isolate the bad items and park them.
 * - `unauthorized`: 401/403. The credentials are refused; later may work (a rotated token),
 *   the items are not at fault.
 * - `unavailable`: 5xx, 408, 425, or a status no one expects (1xx, 3xx when redirects are not
 *   followed). A definite answer that says "not now".
 * - `timeout`: the request left and no answer came in time. It may have been processed.
 * - `network`: the connection failed. `sent` is false only when the request provably never
 *   reached the server (refused, unresolvable, unreachable): then nothing can have happened.
 */
export type Failure =
  | { readonly kind: 'rate_limited'; readonly status: number; readonly retryAfterMs?: number }
  | { readonly kind: 'rejected'; readonly status: number }
  | { readonly kind: 'unauthorized'; readonly status: number }
  | { readonly kind: 'unavailable'; readonly status: number; readonly retryAfterMs?: number }
  | { readonly kind: 'timeout'; readonly code: string }
  | { readonly kind: 'network'; readonly code: string; readonly sent: boolean };

/** A failure without an HTTP answer. */
export type TransportFailure = Extract<Failure, { kind: 'timeout' | 'network' }>;

/** 4xx that say "later", not "never". */
const LATER_4XX = new Set([408, 425]);

/**
 * The failure an HTTP status means, or undefined for a 2xx (success). Pure.
 * `retryAfter` is the raw `Retry-After` header, read relative to `nowMs`.
 */
export function classifyStatus(
  status: number,
  retryAfter?: string | readonly string[],
  nowMs = Date.now(),
): Failure | undefined {
  if (status >= 200 && status < 300) return undefined;
  const wait = parseRetryAfter(retryAfter, nowMs);
  const after = wait === undefined ? {} : { retryAfterMs: wait };
  if (status === 429) return { kind: 'rate_limited', status, ...after };
  if (status === 401 || status === 403) return { kind: 'unauthorized', status };
  if (status >= 400 && status < 500 && !LATER_4XX.has(status)) return { kind: 'rejected', status };
  return { kind: 'unavailable', status, ...after };
}

/** Transport error codes of a request that ran out of time (got's and Node's). */
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/**
 * Connection errors where the request provably never reached the server. Node 24 reports a
 * refused connection through got as ERR_SOCKET_CLOSED_BEFORE_CONNECTION rather than
 * ECONNREFUSED (sindresorhus/got#2469).
 */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * Transport errors worth an immediate retry of an idempotent GET: the request never arrived,
 * or the connection broke (a reused keep-alive socket the server had closed).
 */
export const RETRIED_GET_CODES: readonly string[] = [...NOT_SENT_CODES, 'ECONNRESET', 'EPIPE'];

/** The `code` of a transport error (got's RequestError and Node's system errors carry one). */
export function errorCode(err: unknown): string | undefined {
  return err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

/** The failure a transport error (no HTTP answer) means. Pure. */
export function classifyTransport(err: unknown): TransportFailure {
  const code = errorCode(err);
  const name = err instanceof Error ? err.name : undefined;
  if (name === 'TimeoutError' || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return { kind: 'timeout', code: code ?? 'ETIMEDOUT' };
  }
  return {
    kind: 'network',
    code: code ?? name ?? 'ERROR',
    sent: !(code !== undefined && NOT_SENT_CODES.has(code)),
  };
}

/** Whether the server gave an answer: a definite outcome, whatever it says. */
export const isAnswered = (failure: Failure): boolean =>
  failure.kind !== 'timeout' && failure.kind !== 'network';

/** Whether the server may have processed the request although no success came back. */
export const mayHaveBeenProcessed = (failure: Failure): boolean =>
  failure.kind === 'timeout' || (failure.kind === 'network' && failure.sent);

/** Whether sending the same request again may succeed (everything but a refusal of its content). */
export const isRetryable = (failure: Failure): boolean => failure.kind !== 'rejected';

/** A short text for logs and parked items: `HTTP 503`, `timeout (ETIMEDOUT)`, … */
export function describeFailure(failure: Failure): string {
  switch (failure.kind) {
    case 'timeout':
      return `timed out (${failure.code})`;
    case 'network':
      return `network error (${failure.code})`;
    default:
      return `HTTP ${failure.status}`;
  }
}
