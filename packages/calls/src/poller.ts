import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { Logger } from '@touchline/logger';
import type { McnClient } from '@touchline/mcn';
import { mcnMetrics, type Registry } from '@touchline/metrics';
import type { ToCalltouchCallOptions } from './mapping/index.ts';
import {
  countInvalidOnce,
  emptySummary,
  enqueueCalls,
  type EnqueueSummary,
} from './enqueue-calls.ts';

export interface McnPollerOptions {
  readonly redis: Redis;
  readonly queue: Queue;
  readonly client: McnClient;
  readonly prefix: string;
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly intervalMs: number;
  readonly mapping: ToCalltouchCallOptions;
  /** After midnight, the previous day is re-read for this long (late entries). Default 2 h. */
  readonly graceMs?: number;
  /** Days read per tick while catching up after an outage. Default 7. */
  readonly maxDaysPerTick?: number;
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

/**
 * The MCN producer. The call log filters by date only, so every tick re-reads the days from the
 * durable checkpoint through today (MCN_TIMEZONE) and enqueues calls not seen before. The
 * checkpoint moves past a day only once that day is over by more than the grace period and was
 * read in full, so neither a slow MCN, an outage nor a poller down for hours leaves a gap: the
 * next tick starts where the last complete read ended. Ticks never overlap.
 */
export function createMcnPoller(options: McnPollerOptions) {
  const { redis, client, logger, intervalMs } = options;
  const graceMs = options.graceMs ?? 2 * 3_600_000;
  const maxDaysPerTick = options.maxDaysPerTick ?? 7;
  const now = options.now ?? (() => new Date());
  const zone = options.mapping.mcnTimeZone;
  const keys = pollerKeys(options.prefix);
  const log = logger.child({ component: 'mcn-poller' });
  const metrics = options.registry ? mcnMetrics(options.registry) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const count = (summary: EnqueueSummary) => {
    if (!metrics) return;
    const c = metrics.calls;
    if (summary.enqueued) c.inc({ outcome: 'enqueued' }, summary.enqueued);
    if (summary.duplicate) c.inc({ outcome: 'duplicate' }, summary.duplicate);
    for (const [reason, n] of Object.entries(summary.skippedBy))
      c.inc({ outcome: 'skipped', reason }, n);
    for (const [reason, n] of Object.entries(summary.rejectedBy))
      c.inc({ outcome: 'rejected', reason }, n);
  };

  /** Reads one day and enqueues what is new. */
  const readDay = async (day: string, summary: EnqueueSummary) => {
    const page = await client.fetchCallLog(day, day);
    for (const bad of await countInvalidOnce(redis, keys.invalid(day), page.invalid, summary)) {
      log.warn({ day, reason: bad.reason }, 'MCN record that cannot be read; not imported');
    }
    await enqueueCalls(redis, options.queue, keys.seen(day), page.calls, options.mapping, summary);
  };

  /** Now minus the newest instant of the call log fully read (refreshed on scrape too). */
  const refreshLag = async () => {
    const state = await readPollerState(redis, options.prefix).catch(() => undefined);
    if (state?.readThrough) metrics?.pollLag.set((Date.now() - state.readThrough) / 1000);
  };

  const tick = async () => {
    const startedAt = now();
    const local = DateTime.fromJSDate(startedAt, { zone });
    const today = local.toISODate()!;
    // Until the grace period after midnight is over, yesterday is still open.
    const settled = DateTime.fromJSDate(new Date(startedAt.getTime() - graceMs), {
      zone,
    }).toISODate()!;
    const checkpoint = (await redis.get(keys.checkpoint)) ?? settled;
    const days = daysBetween(checkpoint, today).slice(0, maxDaysPerTick);
    const summary = emptySummary();
    try {
      for (const day of days) {
        await readDay(day, summary);
        // A day over for longer than the grace period and read in full is done for good.
        if (day < settled) {
          const next = DateTime.fromISO(day, { zone: 'UTC' }).plus({ days: 1 }).toISODate()!;
          await redis.set(keys.checkpoint, next);
        }
      }
      const caughtUp = days.at(-1) === today;
      await redis.hset(keys.state, {
        lastPollAt: startedAt.getTime(),
        ...(caughtUp ? { readThrough: startedAt.getTime() } : {}),
        lastError: '',
      });
      if (!(await redis.exists(keys.checkpoint))) await redis.set(keys.checkpoint, settled);
      log.info(
        {
          days: days.length,
          read: summary.read,
          enqueued: summary.enqueued,
          skipped: summary.skipped,
          rejected: summary.rejected,
          caughtUp,
        },
        'MCN poll done',
      );
    } catch (err) {
      const message = (err as Error).message;
      await redis
        .hset(keys.state, { lastPollAt: startedAt.getTime(), lastError: message })
        .catch(() => undefined);
      log.warn(
        { err: { message, code: (err as { code?: string }).code } },
        'MCN poll failed; will retry at the next tick',
      );
    } finally {
      count(summary);
      await refreshLag();
    }
  };

  // Fixed rate, start to start: a poll that takes a while does not stretch the cycle, so a
  // call that ends waits at most one interval to be read.
  const schedule = (delay: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      const startedAt = performance.now();
      running = tick().finally(() => {
        running = undefined;
        schedule(Math.max(0, intervalMs - (performance.now() - startedAt)));
      });
    }, delay);
    timer.unref();
  };

  return {
    name: 'mcn-poller',
    /** Runs one poll now (tests, `status`); resolves when it is done. */
    pollOnce: tick,
    refreshLag,
    async start() {
      if (timer || closed) return;
      schedule(0);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Imports a past range through the same path (same de-duplication); returns the summary. */
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
      options.redis,
      options.queue,
      keys.seen(day),
      page.calls,
      options.mapping,
      summary,
    );
    onDay?.(day, summary);
  }
  return summary;
}
