import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import got from 'got';
import { McnError } from './errors.ts';
import { errorFromStatus, errorFromTransport, type FailedRequest } from './to-mcn-error.ts';

/**
 * `GET /account/{account_id}/vpbx/{vpbx_id}/call_log/record?call_id=…` with the Bearer token:
 * MCN's audio of one call, as a stream. The token travels in the Authorization header only
 * (the `user_hash=` query form would put it in every URL handed on).
 */

/** Timeouts of one recording request, ms. There is no whole-request timeout: a long
 * recording to a slow listener may legitimately take minutes; idleness is what is bounded. */
export interface RecordingTimeouts {
  /** DNS + TCP (+ TLS) set-up (default 5,000). */
  readonly connectMs?: number;
  /** From the request sent to the answer's headers (default 10,000). */
  readonly responseMs?: number;
  /**
   * Longest silence on the socket (default 30,000). It also fires when our reader stops
   * reading (back-pressure stops the socket), so a stalled listener cannot hold an MCN
   * connection open for longer than this.
   */
  readonly idleMs?: number;
}

export interface OpenRecordingOptions {
  /** One byte range as MCN should receive it, e.g. `bytes=100-199` (validated by the caller). */
  readonly range?: string | undefined;
  /** Aborts the request (while waiting for the answer; afterwards destroy `body`). */
  readonly signal?: AbortSignal | undefined;
}

/** MCN answered with audio: 200 (whole file) or 206 (the range asked for). */
export interface RecordingAudio {
  readonly kind: 'audio';
  readonly status: 200 | 206;
  /** Bytes in `body`, when MCN said. */
  readonly contentLength: number | undefined;
  /** MCN's `Content-Range` as sent (a 206 carries one); parsing is the caller's. */
  readonly contentRange: string | undefined;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /**
   * The audio. Errors on it are {@link McnError}s (sanitised); destroying it aborts the MCN
   * request and frees the connection.
   */
  readonly body: Readable;
}

/** MCN answered 416: the range lies past the end; `contentRange` is e.g. `bytes *\/4224`. */
export interface RecordingRangeNotSatisfiable {
  readonly kind: 'range_not_satisfiable';
  readonly contentRange: string | undefined;
}

export type RecordingAnswer = RecordingAudio | RecordingRangeNotSatisfiable;

export interface RecordingSource {
  /**
   * Opens the recording of `callid`. Resolves once MCN's headers are in, with the body still
   * streaming; rejects with an {@link McnError} for every other answer (`NOT_FOUND` for 404,
   * `NOT_READY` for 425, …) and for transport failures. Never retries: the caller owns the
   * schedule (one retry layer per failure).
   */
  openRecording(callid: string, options?: OpenRecordingOptions): Promise<RecordingAnswer>;
}

export interface RecordingSettings {
  /** `{MCN_API_URL}/account/{acc}/vpbx/{vpbx}/call_log`, encoded, without a trailing slash. */
  readonly callLogUrl: string;
  readonly token: string;
  readonly redact: (text: string) => string;
  readonly timeouts?: RecordingTimeouts | undefined;
}

/** Longest error body read for the message, bytes. */
const ERROR_SNIPPET_BYTES = 1024;
const ERROR_SNIPPET_WAIT_MS = 2_000;
/** Content types that are an error page, never audio: they must not be passed on as mp3. */
const NOT_AUDIO = /^(application\/(json|problem\+json|xml)|text\/)/i;

export function createRecordingSource(settings: RecordingSettings): RecordingSource {
  const t = settings.timeouts ?? {};
  const connectMs = t.connectMs ?? 5_000;
  const http = got.extend({
    headers: {
      authorization: `Bearer ${settings.token}`,
      accept: 'audio/mpeg, audio/*;q=0.9, */*;q=0.1',
      // Bytes as stored: a compressed answer would break Content-Length and ranges.
      'accept-encoding': 'identity',
    },
    // A redirect would carry the request (and with it the question of where the Bearer
    // token goes) to another host; MCN is not known to redirect, so one is an error.
    followRedirect: false,
    throwHttpErrors: false,
    decompress: false,
    retry: { limit: 0 },
    timeout: {
      lookup: connectMs,
      connect: connectMs,
      secureConnect: connectMs,
      response: t.responseMs ?? 10_000,
      socket: t.idleMs ?? 30_000,
    },
  });
  const url = `${settings.callLogUrl}/record`;

  return {
    openRecording(callid, options = {}) {
      const request: FailedRequest = { what: `record of call ${callid}`, redact: settings.redact };
      return new Promise<RecordingAnswer>((resolve, reject) => {
        const stream = http.stream(url, {
          searchParams: { call_id: callid },
          ...(options.range ? { headers: { range: options.range } } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const failEarly = (err: unknown) => {
          stream.on('error', () => undefined);
          stream.destroy();
          reject(errorFromTransport(err, request));
        };
        stream.once('error', failEarly);
        stream.once(
          'response',
          (response: { statusCode: number; headers: IncomingHttpHeaders }) => {
            stream.off('error', failEarly);
            const { statusCode: status, headers } = response;
            const contentType = headers['content-type'] ?? '';
            if ((status === 200 || status === 206) && !NOT_AUDIO.test(contentType)) {
              resolve({
                kind: 'audio',
                status,
                contentLength: toLength(headers['content-length']),
                contentRange: headers['content-range'],
                etag: headers.etag,
                lastModified: headers['last-modified'],
                body: sanitised(stream, request),
              });
              return;
            }
            if (status === 416) {
              stream.on('error', () => undefined);
              stream.destroy();
              resolve({ kind: 'range_not_satisfiable', contentRange: headers['content-range'] });
              return;
            }
            void readSnippet(stream).then((snippet) =>
              reject(recordingErrorFromStatus(status, headers, snippet, request)),
            );
          },
        );
      });
    },
  };
}

/**
 * Classifies a non-audio answer to a recording request. 404 is retryable here (unlike for the
 * call log): MCN writes a recording a few seconds after the call ends and is not documented to
 * answer anything but 404 meanwhile.
 */
export function recordingErrorFromStatus(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  request: FailedRequest,
): McnError {
  const snippet = request.redact(body.slice(0, 200).replace(/\s+/g, ' ').trim());
  const message = `MCN ${request.what}: HTTP ${status}${snippet ? ` (${snippet})` : ''}`;
  if (status === 404)
    return new McnError(message, { code: 'NOT_FOUND', failure: { kind: 'rejected', status } });
  if (status === 425)
    return new McnError(message, { code: 'NOT_READY', failure: { kind: 'unavailable', status } });
  if (status >= 300 && status < 400) {
    // Following it would hand the Bearer token to wherever it points: refused for good.
    return new McnError(`${message}: redirect not followed`, {
      code: 'BAD_RESPONSE',
      failure: { kind: 'rejected', status },
    });
  }
  if (status >= 200 && status < 300) {
    // An error page with a 200, or a 2xx that is neither 200 nor 206: usually transient.
    const type = headers['content-type'];
    return new McnError(`${message}: not audio (${String(type ?? 'no content type')})`, {
      code: 'BAD_RESPONSE',
      failure: { kind: 'unavailable', status },
    });
  }
  return errorFromStatus(status, headers, body, request);
}

/**
 * The got stream behind a PassThrough: errors reach the reader as sanitised McnErrors (got's
 * own errors carry the request options, Authorization header included), and destroying the
 * PassThrough aborts the request.
 */
function sanitised(stream: ReturnType<typeof got.stream>, request: FailedRequest): Readable {
  const body = new PassThrough();
  stream.on('error', (err) => body.destroy(errorFromTransport(err, request)));
  body.on('close', () => {
    if (!stream.destroyed) stream.destroy();
  });
  stream.pipe(body);
  return body;
}

/** The start of an error body, for the message: bounded in size and in time. */
function readSnippet(stream: ReturnType<typeof got.stream>): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.on('error', () => undefined);
      stream.destroy();
      resolve(Buffer.concat(chunks).subarray(0, ERROR_SNIPPET_BYTES).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= ERROR_SNIPPET_BYTES) done();
    };
    const timer = setTimeout(done, ERROR_SNIPPET_WAIT_MS);
    timer.unref();
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', done);
  });
}

function toLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}
