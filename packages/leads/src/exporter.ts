import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BudgetPausedError, sendRequest, type CalltouchStack } from '@touchline/calltouch-delivery';
import type { Logger } from '@touchline/logger';
import type { Registry } from '@touchline/metrics';
import { emptyEnqueueSummary, enqueueLeads, type EnqueueLeadsSummary } from './enqueue-leads.ts';
import {
  startOfCalltouchDay,
  toExportSlices,
  toRequestFlags,
  type ExportSlice,
} from './export-window.ts';
import { readLeadsExportState } from './export-state.ts';
import { leadsKeys } from './flow-spec.ts';
import { leadsExportMetrics } from './metrics.ts';
import {
  createCoalescedTrigger,
  createLease,
  type CoalescedTrigger,
  type createWakeSignal,
} from '@touchline/queue';

export interface LeadsExporterOptions {
  readonly redis: Redis;
  /** The `leads` queue (`createFlowQueue(leadsFlowSpec, …)`); not closed by the exporter. */
  readonly queue: Queue;
  /**
   * The role's Calltouch stack: every export passes the points budget and the shared limiter
   * and is counted; a 429 slows the whole fleet down, as for every Calltouch request.
   */
  readonly calltouch: Pick<CalltouchStack, 'client' | 'limiter' | 'budget' | 'exhaustion'>;
  readonly prefix: string;
  readonly logger: Logger;
  readonly registry?: Registry;
  /** LEADS_POLL_INTERVAL_SECONDS in ms. */
  readonly intervalMs: number;
  /** CALLTOUCH_TIMEZONE: days, the first checkpoint and the query bounds are local to it. */
  readonly timeZone: string;
  /** LEADS_REQUEST_FLAGS. */
  readonly flags?: readonly string[];
  /** Leads newer than this at read time are read again by the next tick (they may show late). Default 5 min. */
  readonly overlapMs?: number;
  /** Days read per tick while catching up after downtime. Default 7. */
  readonly maxDaysPerTick?: number;
  readonly now?: () => number;
  /** Calltouch lead events: the signal the public HTTP role sends; unset = the poll alone reads. */
  readonly wake?: ReturnType<typeof createWakeSignal>;
  /** LEADS_EVENTS_MIN_GAP_SECONDS in ms: least time between two reads events trigger. */
  readonly eventsMinGapMs?: number;
}

export interface LeadsTickResult {
  readonly slices: number;
  readonly summary: EnqueueLeadsSummary;
  /** True when the window was read through `now`. */
  readonly caughtUp: boolean;
  readonly paused?: string;
  readonly error?: string;
  /** Another process held the export lease: nothing was read. */
  readonly skipped?: boolean;
}

/**
 * The leads export scheduler. Every interval it reads the Calltouch requests journal from its
 * durable checkpoint (an instant in Redis; the very first run starts at the beginning of the
 * current Calltouch day) through now, one call per Calltouch day, and enqueues the new leads.
 * The checkpoint trails the read by a small overlap, so leads that show up late are still seen.
 * The checkpoint moves in the same transaction as each day's jobs, so downtime of any length —
 * across midnight too — is caught up with no gap, and a crash never skips nor doubles a lead.
 * Before each call the points budget is asked: the export is the first traffic to pause.
 * Ticks never overlap (in one process, and across processes through a Redis lease).
 */
export function createLeadsExporter(options: LeadsExporterOptions) {
  const { redis, queue, logger, timeZone } = options;
  const { client, budget, limiter, exhaustion } = options.calltouch;
  const overlapMs = options.overlapMs ?? 5 * 60_000;
  const maxDaysPerTick = options.maxDaysPerTick ?? 7;
  const now = options.now ?? Date.now;
  const flags = toRequestFlags(options.flags ?? []);
  const keys = leadsKeys(options.prefix);
  const lock = createLease(redis, keys.lock);
  const log = logger.child({ component: 'leads-export' });
  const metrics = options.registry ? leadsExportMetrics(options.registry) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let closed = false;
  let started = false;

  /**
   * The next checkpoint after a slice: the first instant not settled yet. Calltouch may show a lead some time after its
   * creation instant, so the last `overlapMs` before the read are read again next time (the
   * seen-set drops what was already enqueued); a day long over is settled to its end, so a
   * catch-up after downtime never re-reads the previous day.
   */
  const settledThrough = (slice: ExportSlice, readAt: number) =>
    Math.max(slice.fromMs, Math.min(slice.toMs + 1, readAt - overlapMs));

  /** The pause last logged: a pause that lasts all day is logged once, not every tick. */
  let loggedPause: number | undefined;

  const pause = async (err: BudgetPausedError, summary: EnqueueLeadsSummary) => {
    metrics?.paused.set(1);
    await redis.hset(keys.state, { pausedUntil: err.untilMs, pausedReason: err.message });
    const fields = { until: new Date(err.untilMs).toISOString(), reason: err.message };
    if (loggedPause === err.untilMs) log.debug(fields, 'leads export still paused');
    else
      log.warn(
        fields,
        'leads export paused by the points budget; it resumes by itself when the Calltouch day turns',
      );
    loggedPause = err.untilMs;
    return summary;
  };

  const readWindow = async (startedAt: number): Promise<LeadsTickResult> => {
    // Pin the very first checkpoint at once: a first run that fails or is paused must not
    // let the start slide to a later day when it finally succeeds.
    await redis.set(keys.checkpoint, String(startOfCalltouchDay(startedAt, timeZone)), 'NX');
    const fromMs = Number(await redis.get(keys.checkpoint));
    const all = toExportSlices(fromMs, startedAt, timeZone);
    const slices = all.slice(0, maxDaysPerTick);
    const summary = emptyEnqueueSummary();
    for (const slice of slices) {
      try {
        await budget.check('requests_export');
      } catch (err) {
        if (!(err instanceof BudgetPausedError)) throw err;
        await pause(err, summary);
        return { slices: slices.indexOf(slice), summary, caughtUp: false, paused: err.message };
      }
      let records;
      try {
        records = await sendRequest({}, () => client.exportRequests({ ...slice.query, flags }), {
          limiter,
          endpoint: 'requests_export',
          exhaustion,
        });
      } catch (err) {
        if (!(err instanceof BudgetPausedError)) throw err;
        await pause(err, summary);
        return { slices: slices.indexOf(slice), summary, caughtUp: false, paused: err.message };
      }
      await enqueueLeads(
        redis,
        queue,
        records,
        {
          seenKey: keys.seen(slice.day),
          checkpointKey: keys.checkpoint,
          checkpointMs: settledThrough(slice, startedAt),
        },
        summary,
      );
    }
    const caughtUp = slices.length === all.length;
    if (loggedPause !== undefined) log.info('leads export resumed');
    loggedPause = undefined;
    metrics?.paused.set(0);
    metrics?.lag.set(Math.max(0, (now() - (slices.at(-1)?.toMs ?? startedAt)) / 1000));
    await redis.hset(keys.state, {
      lastPollAt: startedAt,
      lastError: '',
      pausedUntil: '',
      pausedReason: '',
    });
    return { slices: slices.length, summary, caughtUp };
  };

  /** One export now; resolves when it is done. Never throws: failures wait for the next tick. */
  const exportNow = async (): Promise<LeadsTickResult> => {
    const startedAt = now();
    try {
      const held = await lock.run(() => readWindow(startedAt));
      if (!held) {
        log.debug('another process is exporting leads; skipping this tick');
        return { slices: 0, summary: emptyEnqueueSummary(), caughtUp: false, skipped: true };
      }
      const { value } = held;
      if (value.slices > 0 || value.summary.read > 0) {
        log.info(
          { slices: value.slices, ...value.summary, caughtUp: value.caughtUp },
          'leads export done',
        );
      }
      return value;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await redis
        .hset(keys.state, { lastPollAt: startedAt, lastError: message })
        .catch(() => undefined);
      log.warn(
        { err: { message, code: (err as { code?: string }).code } },
        'leads export failed; the checkpoint stays, the next tick retries',
      );
      return { slices: 0, summary: emptyEnqueueSummary(), caughtUp: false, error: message };
    }
  };

  /** One export at a time in this process (the lease makes it one at a time fleet-wide). */
  let serial: Promise<unknown> = Promise.resolve();
  const tick = (): Promise<LeadsTickResult> => {
    const next = serial.then(exportNow);
    serial = next.catch(() => undefined);
    return next;
  };

  /** A lead event: read now, unless the budget pauses the export (then the new day reads). */
  const onEvent = async () => {
    const state = await readLeadsExportState(redis, options.prefix).catch(() => undefined);
    if (state?.pausedUntil !== undefined && state.pausedUntil > now()) return;
    await tick();
  };
  let trigger: CoalescedTrigger | undefined;
  let subscription: { close(): Promise<void> } | undefined;

  const schedule = (delayMs: number) => {
    if (closed) return;
    timer = setTimeout(() => {
      const current = tick();
      running = current;
      void current.then((result) => {
        running = undefined;
        // Still behind after a long outage: go on soon instead of a whole interval later.
        const behind = !result.caughtUp && !result.paused && !result.error && !result.skipped;
        schedule(behind ? Math.min(1_000, options.intervalMs) : options.intervalMs);
      });
    }, delayMs);
    timer.unref();
  };

  return {
    name: 'leads-export',
    /** Runs one export now (tests, operators); while another export holds the lease it is skipped. */
    exportOnce: tick,
    /** What a Calltouch lead event does, without Redis pub/sub (tests). */
    onEvent: () => trigger?.request(),
    async start() {
      if (started || closed) return;
      started = true;
      if (options.wake) {
        trigger = createCoalescedTrigger(onEvent, { minGapMs: options.eventsMinGapMs ?? 5_000 });
        subscription = await options.wake.listen(redis, () => trigger?.request());
      }
      schedule(0);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await subscription?.close();
      await trigger?.close();
      await running;
      await serial;
    },
  };
}
export type LeadsExporter = ReturnType<typeof createLeadsExporter>;
