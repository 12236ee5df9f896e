import { McnError } from './errors.ts';
import { parseRetryAfter } from './retry-after.ts';

/** What the client knows about a failed request, free of credentials. */
export interface FailedRequest {
  /** e.g. `call_log 2025-11-23..2025-11-23 offset 2000`: what was asked, without secrets. */
  what: string;
  /** Removes the token (and anything like it) from free text. */
  redact: (text: string) => string;
}

/** Maps an HTTP answer that is not 2xx to an {@link McnError}. */
export function errorFromStatus(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  request: FailedRequest,
  now: Date = new Date(),
): McnError {
  const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
  const snippet = request.redact(body.slice(0, 200).replace(/\s+/g, ' ').trim());
  const message = `MCN ${request.what}: HTTP ${status}${snippet ? ` (${snippet})` : ''}`;
  if (status === 401 || status === 403) {
    return new McnError(message, { code: 'UNAUTHORIZED', retryable: false, status });
  }
  if (status >= 500) {
    return new McnError(message, { code: 'SERVER_ERROR', retryable: true, status, retryAfterMs });
  }
  // 429 and 408 say "later", every other 4xx says "never like this".
  const retryable = status === 429 || status === 408;
  return new McnError(message, { code: 'CLIENT_ERROR', retryable, status, retryAfterMs });
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT']);

/**
 * Maps a transport failure (got's RequestError or anything thrown) to an {@link McnError}.
 * The cause is kept as a sanitised copy: got errors carry the request options, headers
 * included, so the original would put the Bearer token into any log that prints the cause.
 */
export function errorFromTransport(err: unknown, request: FailedRequest): McnError {
  const code =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
      ? err.code
      : undefined;
  const name = err instanceof Error ? err.name : 'Error';
  const detail = request.redact(err instanceof Error ? err.message : String(err));
  const cause = Object.assign(new Error(detail), { name, code });
  if (name === 'TimeoutError' || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new McnError(`MCN ${request.what}: timed out (${detail})`, {
      code: 'TIMEOUT',
      retryable: true,
      cause,
    });
  }
  return new McnError(`MCN ${request.what}: network error ${code ?? name} (${detail})`, {
    code: 'NETWORK',
    retryable: true,
    cause,
  });
}
