/** What {@link limitAnswer} needs of a request: got's promise API has both. */
export interface CancelableRequest {
  on(event: 'downloadProgress', listener: (progress: { transferred: number }) => void): unknown;
  cancel(reason?: string): void;
}

/** Thrown instead of got's CancelError when an answer outgrew its limit. */
export class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
  /** A request whose answer started to arrive: it was processed, the body is what we refuse. */
  readonly code = 'ERR_ANSWER_TOO_LARGE';
  constructor(readonly maxBytes: number) {
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
  request.on('downloadProgress', ({ transferred }) => {
    if (transferred > maxBytes && !tooLarge) {
      tooLarge = true;
      request.cancel(`answer larger than ${maxBytes} bytes`);
    }
  });
  try {
    return await request;
  } catch (err) {
    if (tooLarge) throw new AnswerTooLargeError(maxBytes);
    throw err;
  }
}
