import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { Logger } from '@touchline/logger';
import type { CallLogSlice, McnCall, McnClient } from '@touchline/mcn';
import { mcnMetrics, mcnRequestMetrics, type Registry } from '@touchline/metrics';
import {
  createCoalescedTrigger,
  createLease,
  type CoalescedTrigger,
  type createWakeSignal,
} from '@touchline/queue';
import { parseMcnTime, type ToCalltouchCallOptions } from './mapping/index.ts';
import {
  SEEN_TTL_SECONDS,
  countInvalidOnce,
  emptySummary,
  enqueueCalls,
  laneByEnd,
  type EnqueueSummary,
  type LaneOf,
} from './enqueue-calls.ts';

export interface McnPollerOptions {
  readonly redis: Redis;
  readonly queue: Queue;
  readonly client: McnClient;
  readonly prefix: string;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** MCN_POLL_INTERVAL_SECONDS in ms. */
  readonly intervalMs: number;
  readonly mapping: ToCalltouchCallOptions;
  /** After midnight, the previous day is re-read for this long (late entries). Default 2 h. */
  readonly graceMs?: number;
  /** Days read per tick while catching up after an outage. Default 7. */
  readonly maxDaysPerTick?: number;
  /** CALLS_LIVE_WINDOW_MINUTES in ms: calls that ended this recently are live. Default 15 min. */
  readonly liveWindowMs?: number;
  /** MCN_TAIL_OVERLAP_MINUTES in ms: how far before the log's end a tail read starts. Default 60 min. */
  readonly tailOverlapMs?: number;
  /** MCN_FULL_READ_INTERVAL_MINUTES in ms: an open day is read whole this often. Default 15 min. */
  readonly fullReadIntervalMs?: number;
  /** MCN events: the signal the public HTTP role sends on a call end; unset = polls only. */
  readonly wake?: ReturnType<typeof createWakeSignal>;
  /** MCN_EVENTS_MIN_GAP_MS: least time between two reads that events trigger. Default 1 s. */
  readonly eventsMinGapMs?: number;
  /**
   * MCN_EVENTS_MAX_REQUESTS_PER_MINUTE: the MCN requests that event-triggered reads may make
   * per minute; after a read of n pages the next one waits n × 60 s / this. Default 120.
   */
  readonly eventsMaxRequestsPerMinute?: number;
  /**
   * After a triggered read, more reads this long after the event: MCN may send the event before
   * the call is in the log. Default 1 s and 3 s (coalesced with everything else).
   */
  readonly eventFollowUpsMs?: readonly number[];
  readonly now?: () => Date;
}

export interface PollerState {
  checkpoint: string | undefined;
  lastPollAt: number | undefined;
  readThrough: number | undefined;
  lastError: string | undefined;
}

/** Redis keys of the poller's durable state. */
export const pollerKeys = (prefix: string) => ({
  checkpoint: `${prefix}:mcn:checkpoint`,
  state: `${prefix}:mcn:poller`,
  seen: (day: string) => `${prefix}:mcn:seen:${day}`,
  /** Records of the day that do not parse, each counted once (see countInvalidOnce). */
  invalid: (day: string) => `${prefix}:mcn:invalid:${day}`,
  /** How far the day's log was read: its length, the last full read, row → start anchors. */
  day: (day: string) => `${prefix}:mcn:day:${day}`,
  /** One reader at a time across poller processes. */
  lock: `${prefix}:mcn:lock`,
  /** The channel on which the public HTTP role asks for a read (MCN events). */
  wake: `${prefix}:mcn:wake`,
});

export async function readPollerState(redis: Redis, prefix: string): Promise<PollerState> {
  const keys = pollerKeys(prefix);
  const [checkpoint, state] = await Promise.all([
    redis.get(keys.checkpoint),
    redis.hgetall(keys.state),
  ]);
  const num = (v: string | undefined) => (v ? Number(v) : undefined);
  return {
    checkpoint: checkpoint ?? undefined,
    lastPollAt: num(state['lastPollAt']),
    readThrough: num(state['readThrough']),
    lastError: state['lastError'] || undefined,
  };
}

/** Each MCN day from `from` to `to` inclusive (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (
    let d = DateTime.fromISO(from, { zone: 'UTC' });
    d.toISODate()! <= to;
    d = d.plus({ days: 1 })
  ) {
    days.push(d.toISODate()!);
  }
  return days;
}

/** A row of the day's log and the start of the call there: where a tail read may begin. */
export type Anchor = readonly [row: number, startMs: number];

/**
 * The row a tail read starts at: the last anchor whose call started before `sinceMs`. Calls
 * logged later are inserted by start, so none that started after `sinceMs` can be before it;
 * the rows shift only forward. 0 when no anchor is that old (read the day whole). Pure.
 */
export function tailStart(anchors: readonly Anchor[], sinceMs: number): number {
  let row = 0;
  for (const [offset, startMs] of anchors) if (startMs <= sinceMs && offset > row) row = offset;
  return row;
}

/** Anchors of a read: about 200 per day whatever its size, each a row and its call's start. */
export function anchorsOf(slice: Pick<CallLogSlice, 'calls' | 'rows' | 'end'>, zone: string) {
  const every = Math.max(50, Math.ceil(slice.end / 200));
  const anchors: Anchor[] = [];
  let next = 0;
  slice.calls.forEach((call, i) => {
    const row = slice.rows[i] ?? 0;
    if (row < next) return;
    const start = parseMcnTime(call.date, zone);
    if (!start) return;
    anchors.push([row, start.toMillis()]);
    next = row + every;
  });
  return anchors;
}

interface DayState {
  /** Rows of the log at the last read (0: never read). */
  readonly end: number;
  /** When the day was last read whole (0: never). */
  readonly fullAt: number;
  readonly anchors: readonly Anchor[];
}

const parseAnchors = (raw: string | undefined): Anchor[] => {
  try {
    const value = JSON.parse(raw ?? '[]') as unknown;
    return Array.isArray(value)
      ? value.filter(
          (a): a is Anchor =>
            Array.isArray(a) && typeof a[0] === 'number' && typeof a[1] === 'number',
        )
      : [];
  } catch {
    return [];
  }
};

/**
 * The MCN producer. The call log filters by date only, so the poller keeps, per day, how far
 * it has read, and reads cheaply:
 * - a **tail read** starts a little before the end of the log (MCN_TAIL_OVERLAP_MINUTES of
 *   calls, found through row → start anchors) and costs a page or two however full the day is:
 *   every poll, and at once when MCN says a call ended (events, coalesced);
 * - a **full read** of an open day every MCN_FULL_READ_INTERVAL_MINUTES checks the tail reads'
 *   assumption: a call it finds that the tail reads should have found is logged and counted
 *   (`touchline_mcn_calls_total{outcome="full_read_only"}`);
 * - days from the durable checkpoint that are over (catch-up after an outage, yesterday once the
 *   grace period is over) are read whole, and only then does the checkpoint move past them.
 * The first checkpoint is pinned before the first read, so a first start whose reads keep
 * failing never skips a day. Calls that ended within CALLS_LIVE_WINDOW_MINUTES go to the live
 * lane, older ones to the backlog. One read at a time, fleet-wide (a Redis lease).
 */
export function createMcnPoller(options: McnPollerOptions) {
  const { redis, client, logger, intervalMs } = options;
  const graceMs = options.graceMs ?? 2 * 3_600_000;
  const maxDaysPerTick = options.maxDaysPerTick ?? 7;
  const liveWindowMs = options.liveWindowMs ?? 15 * 60_000;
  const tailOverlapMs = options.tailOverlapMs ?? 60 * 60_000;
  const fullReadIntervalMs = options.fullReadIntervalMs ?? 15 * 60_000;
  const followUpsMs = options.eventFollowUpsMs ?? [1_000, 3_000];
  const eventsMaxRequestsPerMinute = options.eventsMaxRequestsPerMinute ?? 120;
  const now = options.now ?? (() => new Date());
  const zone = options.mapping.mcnTimeZone;
  const keys = pollerKeys(options.prefix);
  const lease = createLease(redis, keys.lock);
  const log = logger.child({ component: 'mcn-poller' });
  const metrics = options.registry ? mcnMetrics(options.registry) : undefined;
  const requests = options.registry ? mcnRequestMetrics(options.registry).requests : undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let serial: Promise<unknown> = Promise.resolve();
  let closed = false;
  let trigger: CoalescedTrigger | undefined;
  let subscription: { close(): Promise<void> } | undefined;
  const followUps = new Set<NodeJS.Timeout>();

  const count = (summary: EnqueueSummary, fullReadOnly: number) => {
    if (!metrics) return;
    const c = metrics.calls;
    if (summary.enqueued) c.inc({ outcome: 'enqueued' }, summary.enqueued);
    if (summary.duplicate) c.inc({ outcome: 'duplicate' }, summary.duplicate);
    for (const [reason, n] of Object.entries(summary.skippedBy))
      c.inc({ outcome: 'skipped', reason }, n);
    for (const [reason, n] of Object.entries(summary.rejectedBy))
      c.inc({ outcome: 'rejected', reason }, n);
    if (fullReadOnly) c.inc({ outcome: 'full_read_only' }, fullReadOnly);
  };

  const dayState = async (day: string): Promise<DayState> => {
    const raw = await redis.hgetall(keys.day(day));
    return {
      end: Number(raw['end'] ?? 0) || 0,
      fullAt: Number(raw['fullAt'] ?? 0) || 0,
      anchors: parseAnchors(raw['anchors']),
    };
  };

  /**
   * Reads one day — its tail, or whole when `whole` or when its full read is due — enqueues what
   * is new, and records how far it read. Returns the calls only a full read found.
   */
  const readDay = async (
    day: string,
    whole: boolean,
    summary: EnqueueSummary,
    lane: LaneOf,
    nowMs: number,
    cost: { requests: number },
  ): Promise<number> => {
    const state = await dayState(day);
    const full = whole || state.end === 0 || nowMs - state.fullAt >= fullReadIntervalMs;
    const tailFrom = tailStart(state.anchors, nowMs - tailOverlapMs);
    const kind = full ? 'full' : 'tail';
    const slice = await client.readDay(day, {
      offset: full ? 0 : tailFrom,
      ...(full ? { expectedEnd: state.end } : {}),
      onPage: (outcome) => {
        cost.requests += 1;
        requests?.inc({ kind, outcome });
      },
    });
    for (const bad of await countInvalidOnce(redis, keys.invalid(day), slice.invalid, summary)) {
      log.warn({ day, reason: bad.reason }, 'MCN record that cannot be read; not imported');
    }
    // A full read of a day the tail reads already cover: what it finds before the tail's start
    // is what the tail reads missed (a call longer than the overlap, or a log not kept by start).
    const rowOf = new Map(slice.calls.map((c, i) => [c.callid, slice.rows[i] ?? 0]));
    let missed: McnCall[] = [];
    await enqueueCalls(
      {
        redis,
        queue: options.queue,
        seenKey: keys.seen(day),
        mapping: options.mapping,
        lane,
        onFresh: (fresh) => {
          if (full && state.end > 0)
            missed = fresh.filter((c) => (rowOf.get(c.callid) ?? 0) < tailFrom);
        },
      },
      slice.calls,
      summary,
    );
    if (missed.length > 0) {
      log.warn(
        {
          day,
          calls: missed.length,
          callids: missed.slice(0, 10).map((c) => c.callid),
          tailOverlapMinutes: Math.round(tailOverlapMs / 60_000),
        },
        'a full read found calls the tail reads missed: consider a longer MCN_TAIL_OVERLAP_MINUTES',
      );
    }
    const anchors = full
      ? anchorsOf(slice, zone)
      : [...state.anchors.filter(([row]) => row < slice.offset), ...anchorsOf(slice, zone)];
    await redis
      .multi()
      .hset(keys.day(day), {
        end: slice.end,
        anchors: JSON.stringify(anchors),
        ...(full ? { fullAt: nowMs } : {}),
      })
      .expire(keys.day(day), SEEN_TTL_SECONDS)
      .exec();
    return missed.length;
  };

  /** Now minus the newest instant of the call log fully read (refreshed on scrape too). */
  const refreshLag = async () => {
    const state = await readPollerState(redis, options.prefix).catch(() => undefined);
    if (state?.readThrough) metrics?.pollLag.set((Date.now() - state.readThrough) / 1000);
  };

  /**
   * One read: every poll reads from the checkpoint; an event reads only the open days. Resolves
   * with the MCN requests it made (its cost, which spaces the reads events trigger).
   */
  const read = async (reason: 'poll' | 'event'): Promise<number> => {
    const cost = { requests: 0 };
    const began = performance.now();
    const startedAt = now();
    const nowMs = startedAt.getTime();
    const today = DateTime.fromJSDate(startedAt, { zone }).toISODate()!;
    // Until the grace period after midnight is over, yesterday is still open.
    const settled = DateTime.fromMillis(nowMs - graceMs, { zone }).toISODate()!;
    // The very first checkpoint is pinned before anything is read: a first start whose reads
    // keep failing until after midnight plus the grace period must not skip that day.
    await redis.set(keys.checkpoint, settled, 'NX');
    const checkpoint = (await redis.get(keys.checkpoint)) ?? settled;
    const days = daysBetween(checkpoint, today)
      .slice(0, maxDaysPerTick)
      .filter((day) => reason === 'poll' || day >= settled);
    const summary = emptySummary();
    const lane = laneByEnd(zone, liveWindowMs, nowMs);
    let fullReadOnly = 0;
    try {
      for (const day of days) {
        const open = day >= settled;
        fullReadOnly += await readDay(day, !open, summary, lane, nowMs, cost);
        // A day over for longer than the grace period and read in full is done for good.
        if (!open) {
          const next = DateTime.fromISO(day, { zone: 'UTC' }).plus({ days: 1 }).toISODate()!;
          await redis.set(keys.checkpoint, next);
        }
      }
      const caughtUp = days.at(-1) === today;
      await redis.hset(keys.state, {
        lastPollAt: nowMs,
        ...(caughtUp ? { readThrough: nowMs } : {}),
        lastError: '',
      });
      log[reason === 'event' && summary.enqueued === 0 ? 'debug' : 'info'](
        {
          reason,
          days: days.length,
          read: summary.read,
          enqueued: summary.enqueued,
          skipped: summary.skipped,
          rejected: summary.rejected,
          requests: cost.requests,
          durationMs: Math.round(performance.now() - began),
          caughtUp,
        },
        'MCN read done',
      );
    } catch (err) {
      const message = (err as Error).message;
      await redis
        .hset(keys.state, { lastPollAt: nowMs, lastError: message })
        .catch(() => undefined);
      log.warn(
        { reason, err: { message, code: (err as { code?: string }).code } },
        'MCN poll failed; will retry at the next tick',
      );
    } finally {
      count(summary, fullReadOnly);
      await refreshLag();
    }
    return cost.requests;
  };

  /**
   * Reads one at a time in this process, and one at a time across processes (the lease).
   * Resolves with the MCN requests the read made (0 when another process held the lease).
   */
  const tick = (reason: 'poll' | 'event'): Promise<number> => {
    const next = serial.then(async () => {
      const held = await lease
        .run(() => read(reason))
        .catch((err: unknown) => {
          log.warn({ err }, 'could not take the MCN read lease; will retry at the next tick');
          return { value: 0 };
        });
      if (!held) log.debug({ reason }, 'another process is reading the MCN call log');
      return held?.value ?? 0;
    });
    serial = next.catch(() => undefined);
    return next;
  };

  // Fixed rate, start to start: a poll that takes a while does not stretch the cycle, so a
  // call that ends waits at most one interval to be read.
  const schedule = (delay: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      const startedAt = performance.now();
      running = tick('poll').finally(() => {
        running = undefined;
        schedule(Math.max(0, intervalMs - (performance.now() - startedAt)));
      });
    }, delay);
    timer.unref();
  };

  /** An MCN event: read now (coalesced), and again shortly after. */
  const onEvent = () => {
    if (closed || !trigger) return;
    trigger.request();
    for (const ms of followUpsMs) {
      const followUp = setTimeout(() => {
        followUps.delete(followUp);
        trigger?.request();
      }, ms);
      followUp.unref();
      followUps.add(followUp);
    }
  };

  return {
    name: 'mcn-poller',
    /** Runs one poll now (tests, `status`); resolves when it is done. */
    pollOnce: () => tick('poll'),
    /** What an MCN event does, without Redis pub/sub (tests). */
    onEvent,
    refreshLag,
    async start() {
      if (timer || closed) return;
      if (options.wake) {
        // Events come with every call: a read that cost n requests spaces the next by what n
        // requests take at the budget, so a busy day's tail costs MCN a bounded rate.
        trigger = createCoalescedTrigger(() => tick('event'), {
          minGapMs: options.eventsMinGapMs ?? 1_000,
          gapAfter: (requestsMade) => (requestsMade * 60_000) / eventsMaxRequestsPerMinute,
        });
        subscription = await options.wake.listen(redis, onEvent);
      }
      schedule(0);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const t of followUps) clearTimeout(t);
      await subscription?.close();
      await trigger?.close();
      await running;
      await serial;
    },
  };
}

/** Imports a past range through the same path (same de-duplication), all in the backlog lane. */
export async function backfillCalls(
  options: Pick<McnPollerOptions, 'redis' | 'queue' | 'client' | 'prefix' | 'mapping' | 'logger'>,
  from: string,
  to: string,
  onDay?: (day: string, summary: EnqueueSummary) => void,
): Promise<EnqueueSummary> {
  const keys = pollerKeys(options.prefix);
  const summary = emptySummary();
  for (const day of daysBetween(from, to)) {
    const page = await options.client.fetchCallLog(day, day);
    await countInvalidOnce(options.redis, keys.invalid(day), page.invalid, summary);
    await enqueueCalls(
      {
        redis: options.redis,
        queue: options.queue,
        seenKey: keys.seen(day),
        mapping: options.mapping,
        lane: () => 'backlog',
      },
      page.calls,
      summary,
    );
    onDay?.(day, summary);
  }
  return summary;
}
