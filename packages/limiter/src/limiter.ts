import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

const script = (name: string) => readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');
const RESERVE = script('sliding-window');
const PENALIZE = script('penalize');
const DEPART = script('depart');

export interface LimiterOptions {
  /** Requests allowed in any window (CALLTOUCH_RATE_LIMIT). */
  readonly limit: number;
  /** The window, ms (1,000 for Calltouch). */
  readonly windowMs?: number;
  /** Safety margin against network jitter, ms, added to the window (CALLTOUCH_RATE_MARGIN_MS). */
  readonly marginMs?: number;
  /** How far ahead slots may be reserved, ms. */
  readonly maxAheadMs?: number;
  /**
   * Extra transit time assumed for a request on a cold connection (the first of a process, or
   * after an idle spell), ms. Its bytes reach Calltouch later than a warm request's, which
   * would close the gap to the requests after it. Default 60.
   */
  readonly coldExtraMs?: number;
  /** Idle time after which the connection counts as cold again, ms. Default 4,000. */
  readonly coldAfterMs?: number;
}

export interface DepartureMark {
  readonly key: string;
  readonly ids: readonly string[];
}

export interface AcquireOptions {
  /** Stops the wait (shutdown): acquire rejects with the signal's reason, nothing departs. */
  readonly signal?: AbortSignal | undefined;
  /** Ids written to the `mark.key` hash atomically with the departure (in flight). */
  readonly mark?: DepartureMark | undefined;
  /**
   * Runs once the slot has come, right before the departure is recorded: a last check that
   * may refuse the departure by throwing (the points budget). Nothing is recorded then.
   */
  readonly beforeDeparture?: (() => Promise<void>) | undefined;
}

export interface Limiter {
  /** Waits until this process may send one request now; resolves right before departure. */
  acquire(options?: AcquireOptions): Promise<void>;
  /** Pauses every process of this egress for `ms` (a 429 was received). */
  penalize(ms: number): Promise<void>;
  /** The configured spacing between departures, ms. */
  readonly intervalMs: number;
  /** Counters kept in Redis: slots granted and 429 penalties (all processes). */
  state(): Promise<{ granted: number; penalties: number; pausedUntil: number }>;
}

/**
 * The shared Calltouch limiter: departures of every process behind one egress IP are spaced
 * evenly, `(window + margin) / limit` apart, by slot reservations in Redis. Evenly spaced
 * departures satisfy a strict sliding window (no `limit + 1` requests in any window) with the
 * whole margin to spare against jitter, where bursts of `limit` would spend it at every burst
 * edge. Each departure is also checked against the log of actual departures, so a process that
 * wakes late never crowds the ones after it. A fixed window over job starts (BullMQ's limiter) drew 429s on 22% of requests against
 * a strict window in our measurements; this draws none.
 *
 * `key` names the egress (one limiter per CALLTOUCH_EGRESS_ID).
 */
export function createLimiter(redis: Redis, key: string, options: LimiterOptions): Limiter {
  const windowMs = options.windowMs ?? 1000;
  const marginMs = options.marginMs ?? 25;
  const intervalMs = Math.ceil((windowMs + marginMs) / options.limit);
  const maxAheadMs = options.maxAheadMs ?? 30_000;

  const departuresKey = `${key}:departures`;
  const coldExtraMs = options.coldExtraMs ?? 60;
  const coldAfterMs = options.coldAfterMs ?? 4_000;
  let lastDeparture = Number.NEGATIVE_INFINITY;
  const debug = Boolean(process.env['TOUCHLINE_DEBUG_LIMITER']);
  const reserve = async (): Promise<[number, number]> => {
    const reply = (await redis.eval(RESERVE, 1, key, intervalMs, maxAheadMs)) as [number, number];
    return [Number(reply[0]), Number(reply[1])];
  };

  return {
    intervalMs,
    async acquire({ signal, mark, beforeDeparture } = {}) {
      signal?.throwIfAborted();
      for (;;) {
        const [slot, waitMs] = await reserve();
        if (slot < 0) {
          await sleep(Math.min(waitMs, 1000), undefined, { signal });
          continue;
        }
        if (waitMs > 0) await sleep(waitMs, undefined, { signal });
        break;
      }
      await beforeDeparture?.();
      // The slot spaces departures evenly; the departure log makes the window exact even when
      // a timer fires late under load (the next departures then wait for it, not crowd it).
      for (;;) {
        const extra = performance.now() - lastDeparture > coldAfterMs ? coldExtraMs : 0;
        const span = windowMs + marginMs;
        const waitMs = Number(
          mark && mark.ids.length > 0
            ? await redis.eval(
                DEPART,
                2,
                departuresKey,
                mark.key,
                options.limit,
                span,
                extra,
                ...mark.ids,
              )
            : await redis.eval(DEPART, 1, departuresKey, options.limit, span, extra),
        );
        if (waitMs <= 0) {
          lastDeparture = performance.now();
          if (debug) process.stderr.write(`limiter: departed ${-waitMs} (pid ${process.pid})\n`);
          return;
        }
        await sleep(waitMs, undefined, { signal });
      }
    },
    async penalize(ms) {
      await redis.eval(PENALIZE, 1, key, Math.max(0, Math.ceil(ms)));
    },
    async state() {
      const [granted, penalties, pausedUntil] = await redis.hmget(
        key,
        'granted',
        'penalties',
        'pausedUntil',
      );
      return {
        granted: Number(granted ?? 0),
        penalties: Number(penalties ?? 0),
        pausedUntil: Number(pausedUntil ?? 0),
      };
    },
  };
}
