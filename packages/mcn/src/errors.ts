import type { Failure } from '@touchline/http';

/** What went wrong with an MCN API call, in words an operator reads. */
export type McnErrorCode =
  | 'UNAUTHORIZED'
  | 'CLIENT_ERROR'
  | 'SERVER_ERROR'
  | 'TIMEOUT'
  | 'NETWORK'
  | 'BAD_RESPONSE'
  /** Recordings: 404, which MCN also answers while a fresh recording is still being written. */
  | 'NOT_FOUND'
  /** Recordings: 425 Too Early, the explicit "not written yet". */
  | 'NOT_READY';

export interface McnErrorOptions {
  /** The wire classification (`@touchline/http`): what every retry decision reads. */
  failure: Failure;
  /**
   * What the wire cannot name: a body that is not what the API answers (BAD_RESPONSE), or a
   * recording MCN does not have, or not yet (NOT_FOUND, NOT_READY).
   */
  code?: 'BAD_RESPONSE' | 'NOT_FOUND' | 'NOT_READY';
  cause?: unknown;
}

const CODE: Record<Failure['kind'], McnErrorCode> = {
  unauthorized: 'UNAUTHORIZED',
  rejected: 'CLIENT_ERROR',
  rate_limited: 'CLIENT_ERROR',
  unavailable: 'SERVER_ERROR',
  timeout: 'TIMEOUT',
  network: 'NETWORK',
};

/**
 * The one error the MCN client throws. `failure` says what happened on the wire; the client
 * itself does not retry HTTP statuses, the poller does, on its own schedule. Messages never
 * contain the API token.
 */
export class McnError extends Error {
  override readonly name = 'McnError';
  readonly code: McnErrorCode;
  readonly failure: Failure;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: McnErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const { failure } = options;
    this.failure = failure;
    this.code = options.code ?? CODE[failure.kind];
    this.status = 'status' in failure ? failure.status : undefined;
    this.retryAfterMs = 'retryAfterMs' in failure ? failure.retryAfterMs : undefined;
  }
}

/** True when `err` is an {@link McnError}, also across duplicated module copies. */
export function isMcnError(err: unknown): err is McnError {
  return err instanceof McnError || (err instanceof Error && err.name === 'McnError');
}

/**
 * The `outcome` label of `touchline_mcn_requests_total` for a failed request, the one mapping
 * every MCN request uses (call-log pages, recordings): the error code in lower case, with a
 * connection that failed named `network_error` as on Calltouch's requests.
 */
export function mcnRequestOutcome(err: unknown): string {
  if (!isMcnError(err)) return 'error';
  return err.code === 'NETWORK' ? 'network_error' : err.code.toLowerCase();
}
