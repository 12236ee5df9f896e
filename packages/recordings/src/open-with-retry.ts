import { setTimeout as sleep } from 'node:timers/promises';
import {
  isMcnError,
  McnError,
  mcnRequestOutcome,
  type RecordingAnswer,
  type RecordingSource,
} from '@touchline/mcn';

/** Default pauses between attempts: 4 attempts over ~3 s, as a recording appears ~3 s late. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [500, 1_000, 1_500];

export interface OpenWithRetryOptions {
  readonly range?: string | undefined;
  /** The listener went away: stop waiting and abort the attempt in flight. */
  readonly signal: AbortSignal;
  /** Pauses between attempts; their count + 1 is the number of attempts. */
  readonly delaysMs: readonly number[];
  /** Each attempt's result, for `touchline_mcn_requests_total{kind="record"}`. */
  readonly onAttempt: (outcome: string) => void;
}

/**
 * Opens a recording, retrying briefly what may heal within seconds: a recording not written
 * yet (404, 425), MCN's 5xx, 429, timeouts and network errors. This is the only retry layer:
 * the MCN client never retries recordings. Rejects with the last McnError; with an
 * AbortError when the signal fires.
 */
export async function openWithRetry(
  source: RecordingSource,
  callid: string,
  options: OpenWithRetryOptions,
): Promise<RecordingAnswer> {
  for (let attempt = 0; ; attempt++) {
    options.signal.throwIfAborted();
    try {
      const answer = await source.openRecording(callid, {
        range: options.range,
        signal: options.signal,
      });
      options.onAttempt(answer.kind === 'audio' ? 'ok' : 'range_not_satisfiable');
      return answer;
    } catch (err) {
      options.signal.throwIfAborted();
      const error = toMcnError(err);
      options.onAttempt(mcnRequestOutcome(error));
      const delay = options.delaysMs[attempt];
      if (!healsSoon(error) || delay === undefined) throw error;
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}

/**
 * Whether a failed attempt may succeed within seconds: a recording not written yet (MCN answers
 * 404 meanwhile, or 425), or what is transient on the wire (`@touchline/http`'s failure kinds);
 * refused credentials, a redirect or another 4xx will not change.
 */
export function healsSoon(error: McnError): boolean {
  if (error.code === 'NOT_FOUND' || error.code === 'NOT_READY') return true;
  const { kind } = error.failure;
  return (
    kind === 'rate_limited' || kind === 'unavailable' || kind === 'timeout' || kind === 'network'
  );
}

function toMcnError(err: unknown): McnError {
  if (isMcnError(err)) return err;
  // Not expected (openRecording rejects with McnError only); kept retryable and message-only,
  // so nothing unknown is logged whole.
  return new McnError(`MCN record: ${err instanceof Error ? err.message : String(err)}`, {
    failure: { kind: 'network', code: 'ERROR', sent: true },
  });
}
