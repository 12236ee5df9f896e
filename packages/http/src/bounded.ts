/** What {@link limitAnswer} needs of a request: got's promise API has both. */
export interface CancelableRequest {
  on(event: 'downloadProgress', listener: (progress: { transferred: number }) => void): unknown;
  on(event: 'request', listener: (request: NativeRequest) => void): unknown;
  cancel(reason?: string): void;
}

/** Node's http.ClientRequest, as far as its status line goes. */
interface NativeRequest {
  once(
    event: 'response',
    listener: (response: { statusCode?: number | undefined }) => void,
  ): unknown;
}

/** Thrown instead of got's CancelError when an answer outgrew its limit. */
export class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
  /** A request whose answer started to arrive: it was processed, the body is what we refuse. */
  readonly code = 'ERR_ANSWER_TOO_LARGE';
  constructor(
    readonly maxBytes: number,
    /** The answer's status, which arrived before its body: a caller for whom it is enough. */
    readonly statusCode?: number,
  ) {
    super(`the answer was larger than ${maxBytes} bytes`);
  }
}

/**
 * Bounds the body read for one request: past `maxBytes` the download is cancelled, and the
 * request rejects with {@link AnswerTooLargeError} (a server that streams without end, or a
 * proxy's error page of gigabytes, costs at most `maxBytes` of memory). Use it on every answer
 * read into memory.
 */
export async function limitAnswer<T>(
  request: CancelableRequest & PromiseLike<T>,
  maxBytes: number,
): Promise<T> {
  let tooLarge = false;
  let statusCode: number | undefined;
  // got's promise announces its answer only once the body is read: the status line is taken
  // from Node's request, which has it before the first byte of the body.
  request.on('request', (native) =>
    native.once('response', (response) => (statusCode = response.statusCode)),
  );
  request.on('downloadProgress', ({ transferred }) => {
    if (transferred > maxBytes && !tooLarge) {
      tooLarge = true;
      request.cancel(`answer larger than ${maxBytes} bytes`);
    }
  });
  try {
    return await request;
  } catch (err) {
    if (tooLarge) throw new AnswerTooLargeError(maxBytes, statusCode);
    throw err;
  }
}
