import { classifyStatus, classifyTransport, errorCode } from '@touchline/http';
import { McnError } from './errors.ts';

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
  const failure = classifyStatus(status, headers['retry-after'], now.getTime()) ?? {
    kind: 'unavailable',
    status,
  };
  const snippet = request.redact(body.slice(0, 200).replace(/\s+/g, ' ').trim());
  return new McnError(`MCN ${request.what}: HTTP ${status}${snippet ? ` (${snippet})` : ''}`, {
    failure,
  });
}

/**
 * Maps a transport failure (got's RequestError or anything thrown) to an {@link McnError}.
 * The cause is kept as a sanitised copy: got errors carry the request options, headers
 * included, so the original would put the Bearer token into any log that prints the cause.
 */
export function errorFromTransport(err: unknown, request: FailedRequest): McnError {
  const code = errorCode(err);
  const name = err instanceof Error ? err.name : 'Error';
  const detail = request.redact(err instanceof Error ? err.message : String(err));
  const cause = Object.assign(new Error(detail), { name, code });
  const failure = classifyTransport(err);
  const what = failure.kind === 'timeout' ? 'timed out' : `network error ${code ?? name}`;
  return new McnError(`MCN ${request.what}: ${what} (${detail})`, { failure, cause });
}
