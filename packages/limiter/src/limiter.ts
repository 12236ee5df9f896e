import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';

const COMMON = readFileSync(new URL('./common.lua', import.meta.url), 'utf8');
const script = (name: string) =>
  `${COMMON}\n${readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8')}`;
const RESERVE = script('sliding-window');
const PENALIZE = script('penalize');
const DEPART = script('depart');
const AMEND = script('amend');

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
  /**
   * A grant that reaches the process (or whose booked time wakes it) later than this — a
   * stalled event loop, a GC pause, a descheduled process — is not used: its departure stays
   * logged, as if it had left, and the process asks again. A later grant that is used costs
   * the egress its lateness (the departure is logged when it really left, and the fifth one
   * after it waits for that); one given back costs a slot. Default: one slot,
   * `(windowMs + marginMs) / limit`.
   */
  readonly maxGrantAgeMs?: number;
  /** How much a 429 widens the span between departures for the whole egress, ms. Default 25. */
  readonly widenStepMs?: number;
  /** The widest the span may grow beyond `windowMs + marginMs`, ms. Default: `windowMs`. */
  readonly widenMaxMs?: number;
  /** A widening halves every this many ms (it narrows back by itself). Default 20,000. */
  readonly widenHalfLifeMs?: number;
}

export interface DepartureMark {
  readonly key: string;
  readonly ids: readonly string[];
}

export interface AcquireOptions {
  /**
   * Stops the wait (shutdown): acquire rejects with the signal's reason, nothing departs. Once
   * a departure has been recorded (and the items marked) it is no longer honoured.
   */
  readonly signal?: AbortSignal | undefined;
  /** Ids written to the `mark.key` hash atomically with the departure (in flight). */
  readonly mark?: DepartureMark | undefined;
  /**
   * Runs once the slot has come, right before the departure is recorded: a last check that
   * may refuse the departure by throwing (the points budget). Nothing is recorded then.
   */
  readonly beforeDeparture?: (() => Promise<void>) | undefined;
}

/** A departure granted by {@link Limiter.acquire}. */
export interface Departure {
  /** The time logged for this departure, ms on Redis' clock. */
  readonly at: number;
  /**
   * Reports that the request's bytes were handed to the socket at `when` (a `performance.now()`
   * reading; default: now). When that is later than logged — the process stalled, the
   * connection was slow to open — the departure log is corrected to an upper bound of the real
   * time, so the requests after it keep their distance from when it really left. Call it once,
   * as soon as the request is written; it never rejects (a lost correction only narrows the
   * margin of one window).
   */
  sent(when?: number): Promise<void>;
}

export interface LimiterState {
  /** Slots granted (all processes). */
  readonly granted: number;
  /** 429s reported. */
  readonly penalties: number;
  /** When a fleet-wide pause ends (ms since epoch, Redis clock); 0 or past when none. */
  readonly pausedUntil: number;
  /** The widening of the span in force now, ms (decays by half every half-life). */
  readonly widenMs: number;
  /** Grants not used because they reached their process too late (asked again). */
  readonly stale: number;
  /** Departures corrected because their bytes left later than logged. */
  readonly late: number;
}

export interface Limiter {
  /**
   * Waits until this process may send one request now; resolves right before departure with
   * the {@link Departure}, whose `sent` the caller calls once the request has been written.
   */
  acquire(options?: AcquireOptions): Promise<Departure>;
  /**
   * Reports a 429 (with its Retry-After, ms; 0 when none). Widens the spacing of every process
   * of this egress (decaying) and, when the window does not explain the 429, pauses them all.
   * Resolves with the pause imposed, ms (0: none, the wider spacing is enough).
   */
  penalize(retryAfterMs: number): Promise<number>;
  /** The configured spacing between departures, ms (without any widening). */
  readonly intervalMs: number;
  /** Counters and the widening, kept in Redis for all processes. */
  state(): Promise<LimiterState>;
}

/**
 * The shared Calltouch limiter: departures of every process behind one egress IP are spaced
 * evenly, `(window + margin) / limit` apart, by slot reservations in Redis. Evenly spaced
 * departures satisfy a strict sliding window (no `limit + 1` requests in any window) with the
 * whole margin to spare against jitter, where bursts of `limit` would spend it at every burst
 * edge. Each departure is also checked against the log of actual departures, so a process that
 * wakes late never crowds the ones after it, and the log is corrected when the bytes leave later
 * than granted ({@link Departure.sent}). A 429 widens the spacing of the whole egress for a
 * while. A fixed window over job starts (BullMQ's limiter) drew 429s on 22% of requests against
 * a strict window in our measurements; this draws none.
 *
 * `key` names the egress (one limiter per CALLTOUCH_EGRESS_ID). Keys: `key` (hash: slots,
 * pause, widening, counters) and `key:departures` (list: recent departure times).
 */
export function createLimiter(redis: Redis, key: string, options: LimiterOptions): Limiter {
  const { limit } = options;
  const windowMs = options.windowMs ?? 1000;
  const marginMs = options.marginMs ?? 25;
  const span = windowMs + marginMs;
  const intervalMs = Math.ceil(span / limit);
  const maxAheadMs = options.maxAheadMs ?? 30_000;
  const maxGrantAgeMs = options.maxGrantAgeMs ?? intervalMs;
  // Two slots ahead: a booking is never far off, and the log (2 × limit entries) always holds
  // the `limit` latest past departures beside the few booked ones.
  const bookAheadMs = 2 * intervalMs;
  const widenStepMs = options.widenStepMs ?? 25;
  const widenMaxMs = options.widenMaxMs ?? windowMs;
  const halfLifeMs = options.widenHalfLifeMs ?? 20_000;

  const departuresKey = `${key}:departures`;
  const coldExtraMs = options.coldExtraMs ?? 60;
  const coldAfterMs = options.coldAfterMs ?? 4_000;
  let lastDeparture = Number.NEGATIVE_INFINITY;
  const debug = Boolean(process.env['TOUCHLINE_DEBUG_LIMITER']);

  const reserve = async (): Promise<[number, number]> => {
    const reply = (await redis.eval(
      RESERVE,
      1,
      key,
      intervalMs,
      maxAheadMs,
      limit,
      halfLifeMs,
    )) as [number, number];
    return [Number(reply[0]), Number(reply[1])];
  };

  /** One attempt to depart: the ms to wait, or the Redis time of the grant and the time logged. */
  const depart = async (
    mark: DepartureMark | undefined,
    extra: number,
    again: boolean,
  ): Promise<{ waitMs: number; now: number; recorded: number }> => {
    // now 0: not recorded, ask again after waitMs; otherwise recorded, leave after waitMs.
    const args = [limit, span, extra, halfLifeMs, again ? 1 : 0, bookAheadMs];
    const reply = (
      mark && mark.ids.length > 0
        ? await redis.eval(DEPART, 3, departuresKey, key, mark.key, ...args, ...mark.ids)
        : await redis.eval(DEPART, 2, departuresKey, key, ...args)
    ) as number[];
    return {
      waitMs: Number(reply[0]),
      now: Number(reply[1] ?? 0),
      recorded: Number(reply[2] ?? 0),
    };
  };

  /**
   * The departure handed to the caller. `grantedAt` is Redis' time when the script ran and
   * `askedAt` the local time just before it was asked: Redis' clock at any later local instant
   * `t` is at most `grantedAt + (t - askedAt)`, whatever the round trip took.
   */
  const departure = (recorded: number, grantedAt: number, askedAt: number): Departure => {
    let reported = false;
    return {
      at: recorded,
      async sent(when = performance.now()) {
        if (reported) return;
        reported = true;
        const upper = grantedAt + Math.ceil(when - askedAt);
        if (debug) {
          const wall = (performance.timeOrigin + when).toFixed(1);
          process.stderr.write(`limiter: sent ${wall} ${upper - recorded} (pid ${process.pid})\n`);
        }
        if (upper <= recorded) return;
        try {
          await redis.eval(AMEND, 2, departuresKey, key, recorded, upper, limit);
        } catch {
          // The request has left; a lost correction narrows the margin of one window only.
        }
      },
    };
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
      let again = false;
      let staleGrants = 0;
      for (;;) {
        const extra = performance.now() - lastDeparture > coldAfterMs ? coldExtraMs : 0;
        const askedAt = performance.now();
        const { waitMs, now, recorded } = await depart(mark, extra, again);
        if (now === 0) {
          // Once a stale grant has marked the items, the request is committed: no abort.
          await sleep(waitMs, undefined, again ? {} : { signal });
          continue;
        }
        const answeredAt = performance.now();
        // Booked: Redis' clock reads the booked time no sooner than waitMs after its answer
        // came, so the request never leaves before the time logged for it. The items are
        // marked: the wait (under two slots) is not aborted.
        if (waitMs > 0) await sleep(waitMs);
        // Late by this much: the answer sat unread, or the wake-up for a booking came late
        // (event loop busy, GC, process descheduled), so the request would leave well after
        // the time logged. Up to one slot late, it goes: `sent` raises its log entry to when
        // it really left, which is safe as long as that lands before the fifth departure
        // after it checks the log (one window after the grant). Later than that the logged
        // departure stays — a slot spent on nothing, which only spaces the others more — and
        // the window is asked again. A host that stalls every time still sends after three
        // tries unless the stall nears half a window, and after ten whatever happens.
        const lateMs = performance.now() - askedAt - waitMs;
        const giveBack = staleGrants < 3 || (lateMs > span / 2 && staleGrants < 10);
        if (lateMs > maxGrantAgeMs && giveBack) {
          if (debug) process.stderr.write(`limiter: stale grant (${lateMs.toFixed(0)} ms)\n`);
          again = true;
          staleGrants++;
          continue;
        }
        lastDeparture = performance.now();
        if (debug) {
          const booked = `booked ${waitMs} ms ahead, answered in ${(answeredAt - askedAt).toFixed(1)} ms`;
          process.stderr.write(
            `limiter: departed ${now + waitMs} (pid ${process.pid}), ${booked}\n`,
          );
        }
        return departure(recorded, now, askedAt);
      }
    },
    async penalize(retryAfterMs) {
      const reply = (await redis.eval(
        PENALIZE,
        1,
        key,
        Math.max(0, Math.ceil(retryAfterMs)),
        windowMs,
        span,
        widenStepMs,
        widenMaxMs,
        halfLifeMs,
      )) as number[];
      return Number(reply[0] ?? 0);
    },
    async state() {
      const [fields, time] = await Promise.all([
        redis.hmget(
          key,
          'granted',
          'penalties',
          'pausedUntil',
          'widenMs',
          'widenAt',
          'stale',
          'late',
        ),
        redis.time(),
      ]);
      const [granted, penalties, pausedUntil, widenMs, widenAt, stale, late] = fields;
      const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
      const widen =
        Number(widenMs ?? 0) * 0.5 ** (Math.max(0, now - Number(widenAt ?? 0)) / halfLifeMs);
      return {
        granted: Number(granted ?? 0),
        penalties: Number(penalties ?? 0),
        pausedUntil: Number(pausedUntil ?? 0),
        // As common.lua computes it: below half a millisecond it is gone.
        widenMs: widen < 0.5 ? 0 : Math.round(widen * 10) / 10,
        stale: Number(stale ?? 0),
        late: Number(late ?? 0),
      };
    },
  };
}
