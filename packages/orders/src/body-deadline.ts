import { Transform, type Readable } from 'node:stream';

export interface BodyDeadline {
  /** Time allowed for the body once the headers are in, ms. */
  readonly baseMs: number;
  /**
   * Each this many bytes received add one second (Apache mod_reqtimeout's `MinRate`): a large
   * body on a slow but honest link keeps going, a trickle does not.
   */
  readonly minBytesPerSecond: number;
}

/** The error a cut body fails with: Fastify's body reader keeps its status (408). */
export class BodyTimeoutError extends Error {
  override readonly name = 'BodyTimeoutError';
  readonly statusCode = 408;
  constructor(readonly receivedBytes: number) {
    super('request body too slow');
  }
}

/**
 * `payload` through a stream that fails with {@link BodyTimeoutError} when the body has not
 * arrived in time (Fastify `preParsing`). The request itself is left alone, so that the 408
 * can still be written; Node discards the rest of the body and closes the connection after it
 * (the listener answers 408 with `Connection: close`). One timer per body, re-armed only while
 * data flows at the minimum rate.
 */
export function withBodyDeadline(payload: Readable, deadline: BodyDeadline): Readable {
  const started = Date.now();
  let received = 0;
  let timer: NodeJS.Timeout | undefined;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(null, chunk);
    },
  });
  const allowedMs = () => deadline.baseMs + (received / deadline.minBytesPerSecond) * 1000;
  const check = () => {
    const left = allowedMs() - (Date.now() - started);
    if (left > 0) {
      timer = setTimeout(check, left);
      return;
    }
    payload.unpipe(out);
    out.destroy(new BodyTimeoutError(received));
  };
  timer = setTimeout(check, deadline.baseMs);
  const stop = () => clearTimeout(timer);
  out.once('end', stop);
  out.once('close', stop);
  payload.once('error', (err) => out.destroy(err));
  payload.pipe(out);
  return out;
}
