import type { CalltouchEndpoint } from '@touchline/config';
import { redactText } from '@touchline/logger';

/** What went wrong with one Calltouch request; steers retry, bisection and rate control. */
export type CalltouchErrorCode =
  | 'RATE_LIMITED'
  | 'UNAUTHORIZED'
  | 'REJECTED'
  | 'SERVER_ERROR'
  | 'TIMEOUT'
  | 'NETWORK'
  | 'INVALID_PAYLOAD'
  | 'INVALID_RESPONSE';

/** The label of `touchline_calltouch_requests_total{outcome}` for one request. */
export type RequestOutcome =
  'ok' | 'rate_limited' | 'client_error' | 'server_error' | 'network_error';

const RETRYABLE: Record<CalltouchErrorCode, boolean> = {
  RATE_LIMITED: true,
  UNAUTHORIZED: false,
  // A 4xx rejects the batch: retrying the same bytes gives the same answer; bisect instead.
  REJECTED: false,
  SERVER_ERROR: true,
  TIMEOUT: true,
  NETWORK: true,
  INVALID_PAYLOAD: false,
  // A 2xx whose body we cannot read is the server's fault and usually transient.
  INVALID_RESPONSE: true,
};

const OUTCOME: Record<CalltouchErrorCode, RequestOutcome | undefined> = {
  RATE_LIMITED: 'rate_limited',
  UNAUTHORIZED: 'client_error',
  REJECTED: 'client_error',
  SERVER_ERROR: 'server_error',
  TIMEOUT: 'network_error',
  NETWORK: 'network_error',
  // No request left: nothing to count.
  INVALID_PAYLOAD: undefined,
  INVALID_RESPONSE: 'server_error',
};

/** Longest response body kept on an error (for operators and the bisecting worker). */
export const MAX_ERROR_BODY = 2048;

export interface CalltouchErrorOptions {
  code: CalltouchErrorCode;
  endpoint: CalltouchEndpoint;
  message: string;
  status?: number;
  retryAfterMs?: number;
  body?: string;
  cause?: unknown;
}

/**
 * The one error the Calltouch client throws. `code` says what happened, `retryable` whether the
 * same request may succeed later, `outcome` is the metric label. Message and body are redacted
 * (no apikey, clientApiId or token ever appears) and the body is cut to {@link MAX_ERROR_BODY}.
 */
export class CalltouchError extends Error {
  override readonly name = 'CalltouchError';
  readonly code: CalltouchErrorCode;
  readonly retryable: boolean;
  readonly endpoint: CalltouchEndpoint;
  /** Undefined for INVALID_PAYLOAD: the request never left. */
  readonly outcome: RequestOutcome | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly body: string | undefined;

  constructor(options: CalltouchErrorOptions, scrub: (text: string) => string = redactText) {
    super(scrub(options.message), options.cause === undefined ? {} : { cause: options.cause });
    this.code = options.code;
    this.retryable = RETRYABLE[options.code];
    this.endpoint = options.endpoint;
    this.outcome = OUTCOME[options.code];
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.body =
      options.body === undefined ? undefined : truncate(scrub(options.body), MAX_ERROR_BODY);
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated ${text.length - max}]`;
}

/** Type guard that also works across copies of this module. */
export function isCalltouchError(err: unknown): err is CalltouchError {
  return err instanceof CalltouchError;
}
