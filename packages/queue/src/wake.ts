import type { Redis } from 'ioredis';

/**
 * "Read now", from the process that hears about new data (the public HTTP role, on a webhook)
 * to the process that reads it (the MCN poller, the leads export): a Redis pub/sub channel.
 * A lost signal costs only latency: the regular poll stays the source of truth.
 */
export function createWakeSignal(channel: string) {
  return {
    channel,
    /** Asks the readers to read now. Fails fast with the caller's connection. */
    async wake(redis: Redis): Promise<void> {
      await redis.publish(channel, String(Date.now()));
    },
    /**
     * Calls `onWake` for every signal, on a connection of its own (a subscribed connection
     * can do nothing else). Returns what closes it.
     */
    async listen(redis: Redis, onWake: () => void): Promise<{ close(): Promise<void> }> {
      const subscriber = redis.duplicate();
      // The shared connection reports outages; ioredis resubscribes after a reconnect.
      subscriber.on('error', () => undefined);
      subscriber.on('message', (from: string) => {
        if (from === channel) onWake();
      });
      await subscriber.subscribe(channel);
      return {
        close: async () => {
          await subscriber.quit().catch(() => subscriber.disconnect());
        },
      };
    },
  };
}

export interface CoalescedTrigger {
  /** Asks for a run: now, or as soon as the gap allows; requests meanwhile make one run. */
  request(): void;
  /** Stops scheduling and waits for a run in progress. */
  close(): Promise<void>;
}

export interface CoalescedTriggerOptions<T> {
  /** Least time between the starts of two runs. */
  readonly minGapMs: number;
  /**
   * A longer gap after a run that cost more (e.g. one that read many pages: the gap its
   * requests take at a budget of requests per minute). Not asked after a run that failed.
   */
  readonly gapAfter?: (result: T) => number;
  readonly now?: () => number;
}

/**
 * Runs `run` on request, at most one run at a time and at least `minGapMs` (or what `gapAfter`
 * says of the last run) between the starts of two runs: a burst of 500 requests makes one run
 * now and at most one more after the gap. A run that fails is the run's business (it logs and
 * counts); the trigger goes on.
 */
export function createCoalescedTrigger<T>(
  run: () => Promise<T>,
  options: CoalescedTriggerOptions<T>,
): CoalescedTrigger {
  const now = options.now ?? Date.now;
  let running: Promise<void> | undefined;
  let pending = false;
  let timer: NodeJS.Timeout | undefined;
  let lastStart = Number.NEGATIVE_INFINITY;
  let gapMs = options.minGapMs;
  let closed = false;

  const start = () => {
    timer = undefined;
    if (closed) return;
    pending = false;
    lastStart = now();
    gapMs = options.minGapMs;
    running = run()
      .then(
        (result) => {
          const after = options.gapAfter?.(result) ?? 0;
          if (Number.isFinite(after)) gapMs = Math.max(options.minGapMs, after);
        },
        () => undefined,
      )
      .then(() => {
        running = undefined;
        if (pending) request();
      });
  };

  const request = () => {
    if (closed) return;
    if (running || timer) {
      pending = pending || Boolean(running);
      return;
    }
    const wait = lastStart + gapMs - now();
    if (wait <= 0) start();
    else {
      timer = setTimeout(start, wait);
      timer.unref();
    }
  };

  return {
    request,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}
