/**
 * A fixed number of concurrent recording streams. Each holds one MCN connection and a few
 * buffers; past the bound a request is refused at once (503 + Retry-After) rather than
 * queued, so a burst of players never piles up sockets or memory.
 */
export interface StreamSlots {
  /** A release function (idempotent), or undefined when every slot is taken. */
  tryAcquire(): (() => void) | undefined;
  inUse(): number;
  readonly max: number;
}

export function createStreamSlots(max: number): StreamSlots {
  if (!Number.isInteger(max) || max < 1)
    throw new RangeError(`max streams must be ≥ 1, got ${max}`);
  let used = 0;
  return {
    max,
    inUse: () => used,
    tryAcquire() {
      if (used >= max) return undefined;
      used += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        used -= 1;
      };
    },
  };
}
