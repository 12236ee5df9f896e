import { PassThrough, type Readable } from 'node:stream';
import type { RecordingInterruption } from '@touchline/metrics';

export interface PumpOptions {
  /** MCN's audio; destroyed whenever the pump stops, however it stops. */
  readonly upstream: Readable;
  /** Bytes to drop first and bytes to pass (MCN ignored a Range; we slice). Default: all. */
  readonly window?: { readonly skip: number; readonly take: number } | undefined;
  /** Bytes the listener was promised (Content-Length); fewer from MCN is a failure. */
  readonly expectedBytes: number | undefined;
  /** No progress for this long ends the stream, ms. */
  readonly idleMs: number;
  /** No stream lasts longer than this, ms. */
  readonly maxMs: number;
  readonly onBytes: (bytes: number) => void;
  /** Called once: undefined when the last byte went out, or why it did not. */
  readonly onEnd: (interruption: RecordingInterruption | undefined) => void;
}

/**
 * Moves MCN's audio to the listener chunk by chunk — never the whole file — with
 * back-pressure both ways: when the listener's socket is full the MCN stream is paused, so
 * memory per stream stays at a few buffers whatever the file size. The returned stream is the
 * reply body; Fastify destroys it when the listener disconnects, which destroys the upstream.
 *
 * A listener that stops reading holds the MCN connection at most `idleMs` (and MCN's own idle
 * timeout, see packages/mcn/src/recording.ts, bounds the other side); a listener that reads
 * slowly but steadily, at most `maxMs`.
 */
export function pumpRecording(options: PumpOptions): Readable {
  const { upstream } = options;
  const out = new PassThrough();
  let skip = options.window?.skip ?? 0;
  let left = options.window?.take ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  let waitingForDrain = false;
  let done = false;

  const finish = (interruption: RecordingInterruption | undefined) => {
    if (done) return;
    done = true;
    clearTimeout(idle);
    clearTimeout(cap);
    upstream.off('data', onData);
    upstream.destroy();
    options.onEnd(interruption);
    if (interruption === undefined) out.end();
    // 502 if it happens before the headers left (an error handler answers with statusCode).
    else
      out.destroy(
        Object.assign(new Error(`recording stream interrupted: ${interruption}`), {
          statusCode: 502,
        }),
      );
  };

  const onData = (chunk: Buffer) => {
    if (done) return;
    let part = chunk;
    if (skip > 0) {
      if (part.length <= skip) {
        skip -= part.length;
        idle.refresh();
        return;
      }
      part = part.subarray(skip);
      skip = 0;
    }
    if (part.length > left) part = part.subarray(0, left);
    left -= part.length;
    sent += part.length;
    options.onBytes(part.length);
    idle.refresh();
    if (!out.write(part)) {
      waitingForDrain = true;
      upstream.pause();
    }
    // A slice is complete before MCN's file is: let MCN's connection go now.
    if (left === 0) finish(undefined);
  };

  // Whose silence it is decides the cause: a full socket to the listener, or MCN sending nothing.
  const idle = setTimeout(
    () => finish(waitingForDrain ? 'client_idle' : 'upstream_failed'),
    options.idleMs,
  );
  const cap = setTimeout(() => finish('too_long'), options.maxMs);
  idle.unref();
  cap.unref();

  out.on('drain', () => {
    waitingForDrain = false;
    idle.refresh();
    upstream.resume();
  });
  out.on('close', () => finish('client_closed'));
  upstream.on('data', onData);
  upstream.on('end', () =>
    finish(
      options.expectedBytes !== undefined && sent < options.expectedBytes
        ? 'upstream_failed'
        : undefined,
    ),
  );
  upstream.on('error', () => finish('upstream_failed'));
  return out;
}
