import { describeFailure, type Failure } from '@touchline/http';
import { redactText } from '@touchline/logger';
import type { CalltouchEndpoint } from './endpoints.ts';

/** What went wrong with one Calltouch request, in words an operator reads. */
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

/** Longest response body kept on an error (for operators and the bisecting worker). */
export const MAX_ERROR_BODY = 2048;

/**
 * Longest answer body kept whole for {@link CalltouchError.answer}: a refusal that names each of
 * 100 orders is a few KB, more than {@link MAX_ERROR_BODY} keeps for people.
 */
export const MAX_ANSWER_KEPT = 256 * 1024;

export interface CalltouchErrorOptions {
  readonly endpoint: CalltouchEndpoint;
  readonly message: string;
  /** What happened on the wire; absent when the request never left (INVALID_PAYLOAD). */
  readonly failure?: Failure;
  /** Only for the two failures the wire cannot name: a payload refused before sending, a 2xx body that is not what the endpoint answers. */
  readonly code?: 'INVALID_PAYLOAD' | 'INVALID_RESPONSE';
  readonly body?: string;
  readonly cause?: unknown;
}

const CODE: Record<Failure['kind'], CalltouchErrorCode> = {
  rate_limited: 'RATE_LIMITED',
  unauthorized: 'UNAUTHORIZED',
  rejected: 'REJECTED',
  unavailable: 'SERVER_ERROR',
  timeout: 'TIMEOUT',
  network: 'NETWORK',
};

const OUTCOME: Record<Failure['kind'], RequestOutcome> = {
  rate_limited: 'rate_limited',
  unauthorized: 'client_error',
  rejected: 'client_error',
  unavailable: 'server_error',
  timeout: 'network_error',
  network: 'network_error',
};

/**
 * The one error the Calltouch client throws. `failure` is the classification every sender
 * decides by (`@touchline/http`); `code` names it for people, `outcome` is the metric label.
 * Message and body are redacted (no apikey, clientApiId or token ever appears) and the body is
 * cut to {@link MAX_ERROR_BODY}.
 */
export class CalltouchError extends Error {
  override readonly name = 'CalltouchError';
  readonly code: CalltouchErrorCode;
  readonly endpoint: CalltouchEndpoint;
  /** Undefined when the request never left (INVALID_PAYLOAD): nothing happened at Calltouch. */
  readonly failure: Failure | undefined;
  /** Undefined for INVALID_PAYLOAD: no request, nothing to count. */
  readonly outcome: RequestOutcome | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly body: string | undefined;
  /** The whole redacted body, for `answer`: a private field, so loggers never print it. */
  readonly #answerText: string | undefined;

  constructor(options: CalltouchErrorOptions, scrub: (text: string) => string = redactText) {
    super(scrub(options.message), options.cause === undefined ? {} : { cause: options.cause });
    const { failure } = options;
    this.endpoint = options.endpoint;
    this.failure = failure;
    this.code = options.code ?? (failure ? CODE[failure.kind] : 'INVALID_PAYLOAD');
    this.outcome = failure ? OUTCOME[failure.kind] : undefined;
    this.status = failure && 'status' in failure ? failure.status : undefined;
    this.retryAfterMs = failure && 'retryAfterMs' in failure ? failure.retryAfterMs : undefined;
    const scrubbed = options.body === undefined ? undefined : scrub(options.body);
    this.body = scrubbed === undefined ? undefined : truncate(scrubbed, MAX_ERROR_BODY);
    this.#answerText =
      scrubbed !== undefined && scrubbed.length <= MAX_ANSWER_KEPT ? scrubbed : undefined;
  }

  /**
   * The answer's whole body (redacted), JSON-parsed where it is JSON, for a sender that reads
   * which items a refusal names (`readOrdersAnswer`); undefined without a body or past
   * {@link MAX_ANSWER_KEPT}. Not an own property: logs carry `body`, never this.
   */
  get answer(): unknown {
    const text = this.#answerText;
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  /** `HTTP 503`, `timed out (ETIMEDOUT)`, `not sent`: what happened, in a few words. */
  get what(): string {
    return this.failure ? describeFailure(this.failure) : 'not sent';
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated ${text.length - max}]`;
}

/** Type guard that also works across copies of this module. */
export function isCalltouchError(err: unknown): err is CalltouchError {
  return err instanceof CalltouchError || (err instanceof Error && err.name === 'CalltouchError');
}
