import { classifyStatus, classifyTransport, errorCode } from '@touchline/http';
import type { CalltouchEndpoint } from './endpoints.ts';
import { CalltouchError } from './errors.ts';

/**
 * Maps an HTTP answer that is not 2xx to a {@link CalltouchError} (classification:
 * `classifyStatus` of `@touchline/http`); the body is kept for bisection and operators. Pure.
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
  const failure = classifyStatus(status, answer.retryAfter, nowMs) ?? {
    kind: 'unavailable',
    status,
  };
  const where = `Calltouch ${endpoint}: HTTP ${status}${answer.statusText ? ` ${answer.statusText}` : ''}`;
  const detail =
    failure.kind === 'rate_limited'
      ? ` (rate limited${failure.retryAfterMs === undefined ? '' : `, retry after ${failure.retryAfterMs} ms`})`
      : failure.kind === 'unauthorized'
        ? ': credentials refused'
        : failure.kind === 'rejected'
          ? `: request rejected: ${snippet(scrub(body))}`
          : ': server error';
  return new CalltouchError({ endpoint, failure, body, message: `${where}${detail}` }, scrub);
}

/** Maps a transport failure (no HTTP answer) to a TIMEOUT or NETWORK error, sanitised. */
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
  const failure = classifyTransport(err);
  return new CalltouchError(
    {
      endpoint,
      failure,
      message: `Calltouch ${endpoint}: ${failure.kind === 'timeout' ? 'timed out' : 'network error'}: ${message}`,
      cause,
    },
    scrub,
  );
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat || '(empty body)';
}
