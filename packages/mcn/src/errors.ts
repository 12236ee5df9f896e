/** What went wrong with an MCN API call, coarse enough for the poller to decide what to do. */
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
  code: McnErrorCode;
  retryable: boolean;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/**
 * The one error the MCN client throws. `retryable` says whether the same request may succeed
 * later (5xx, timeouts, network, 429); the client itself does not retry HTTP statuses, the
 * poller does. Messages never contain the API token.
 */
export class McnError extends Error {
  override readonly name = 'McnError';
  readonly code: McnErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: McnErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retryable = options.retryable;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True when `err` is an {@link McnError}, also across duplicated module copies. */
export function isMcnError(err: unknown): err is McnError {
  return err instanceof McnError || (err instanceof Error && err.name === 'McnError');
}
