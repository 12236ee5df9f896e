import type { CalltouchEndpoint } from '@touchline/config';
import { CalltouchError } from './errors.ts';
import { parseRetryAfter } from './retry-after.ts';

/**
 * Pure mapping of an HTTP answer or a transport failure to a {@link CalltouchError}.
 * 429 → RATE_LIMITED; 401/403 → UNAUTHORIZED; other 4xx → REJECTED (body kept for bisection);
 * 5xx and anything else unexpected → SERVER_ERROR; timeouts → TIMEOUT; the rest → NETWORK.
 */
export function toHttpError(
  endpoint: CalltouchEndpoint,
  answer: {
    status: number;
    statusText?: string | undefined;
    body: string;
    retryAfter?: string | undefined;
  },
  nowMs: number,
  scrub: (text: string) => string,
): CalltouchError {
  const { status, body } = answer;
  const where = `Calltouch ${endpoint}: HTTP ${status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(answer.retryAfter, nowMs);
    return new CalltouchError(
      {
        code: 'RATE_LIMITED',
        endpoint,
        status,
        body,
        message: `${where} (rate limited${retryAfterMs === undefined ? '' : `, retry after ${retryAfterMs} ms`})`,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
      scrub,
    );
  }
  if (status === 401 || status === 403) {
    return new CalltouchError(
      { code: 'UNAUTHORIZED', endpoint, status, body, message: `${where}: credentials refused` },
      scrub,
    );
  }
  if (status >= 400 && status < 500) {
    return new CalltouchError(
      {
        code: 'REJECTED',
        endpoint,
        status,
        body,
        message: `${where}: request rejected: ${snippet(scrub(body))}`,
      },
      scrub,
    );
  }
  return new CalltouchError(
    { code: 'SERVER_ERROR', endpoint, status, body, message: `${where}: server error` },
    scrub,
  );
}

/** got's error codes for a request that ran out of time. */
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/** Maps a transport failure (no HTTP answer) to TIMEOUT or NETWORK, with a sanitised cause. */
export function toTransportError(
  endpoint: CalltouchEndpoint,
  err: unknown,
  scrub: (text: string) => string,
): CalltouchError {
  const code = errorCode(err);
  const message = err instanceof Error ? scrub(err.message) : 'unknown transport error';
  // got's errors carry the request options (URL with apikey, Access-Token header): keep only
  // name, code and a scrubbed message as the cause so nothing secret can be logged from it.
  const cause = Object.assign(new Error(message), {
    name: err instanceof Error ? err.name : 'Error',
    ...(code === undefined ? {} : { code }),
  });
  const timedOut = code !== undefined && TIMEOUT_CODES.has(code);
  return new CalltouchError(
    {
      code: timedOut ? 'TIMEOUT' : 'NETWORK',
      endpoint,
      message: `Calltouch ${endpoint}: ${timedOut ? 'timed out' : 'network error'}: ${message}`,
      cause,
    },
    scrub,
  );
}

function errorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return undefined;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat || '(empty body)';
}
