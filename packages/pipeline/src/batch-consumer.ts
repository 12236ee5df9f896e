import { randomUUID } from 'node:crypto';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { Logger } from '@touchline/logger';
import { createInflight } from './inflight.ts';
import type { BatchItem, ItemOutcome } from './outcome.ts';
import type { Flow } from './queues.ts';

export interface DeliveryContext {
  /** Aborted when the process shuts down: stop waiting, nothing has left yet. */
  readonly signal: AbortSignal;
  /** Marks items in flight (done by the Calltouch gate at departure; for other senders). */
  markSent(ids: readonly string[]): Promise<void>;
  /** The Redis hash of in-flight marks, for the gate to write atomically at departure. */
  readonly inflightKey: string;
}

export interface BatchConsumerOptions<T> {
  readonly flow: Flow;
  /** A worker-role connection (`maxRetriesPerRequest: null`). Not closed by the consumer. */
  readonly connection: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  /** Items per request (100, or 1 for one-call-per-request modes). */
  readonly maxBatch: number;
  /** Longest wait for a partial batch to fill (CHUNK_MAX_WAIT_MS). */
  readonly maxWaitMs: number;
  /**
   * Once the queue runs empty, send the partial batch when no new item has arrived for this
   * long, instead of lingering the whole `maxWaitMs`. For flows whose producer enqueues each
   * read in one transaction (the MCN poller): an empty queue then means nothing more is on its
   * way. Items that trickle in closer than the gap (retries released by backoff jitter) still
   * gather into one batch. Unset: linger up to `maxWaitMs` (deals arrive one webhook at a time).
   */
  readonly idleGapMs?: number;
  /** Batches in flight per process; more keep the limiter's slots filled despite latency. */
  readonly concurrency?: number;
  /** How long a claim lasts without renewal; a killed process's items return after it. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** Validates `job.data`; an item that does not parse is parked with zod's message. */
  readonly schema: z.ZodType<T>;
  /** Sends the items; returns an outcome per item id (missing ids are retried). */
  deliver(items: readonly BatchItem<T>[], ctx: DeliveryContext): Promise<Map<string, ItemOutcome>>;
  /** Observes each settled item (metrics). */
  onOutcome?(item: BatchItem<T>, outcome: ItemOutcome): void;
}

export interface BatchConsumer {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Batches delivered since start (for tests and status). */
  readonly stats: { batches: number; items: number };
}

/**
 * Packs the jobs of one queue into batches and hands them to `deliver`. BullMQ has no batches
 * in its open-source edition, so the consumer claims jobs one by one with a shared lock token
 * (`Worker.getNextJob`): every item of a batch is an ordinary active job, locked in Redis.
 *
 * Crash safety comes from BullMQ's own guarantees: a claimed job is either completed, failed,
 * delayed, or — if the process dies — its lock expires and the stalled-job checker moves it
 * back to waiting. No item can be lost between claim and settle, and no item is in two
 * batches at once. The only repeat is a request that left without its answer arriving: those
 * items are marked in flight and their re-delivery is counted as a duplicate.
 */
export function createBatchConsumer<T>(options: BatchConsumerOptions<T>): BatchConsumer {
  const { flow, logger, maxBatch, maxWaitMs } = options;
  const concurrency = options.concurrency ?? 4;
  const lockDurationMs = options.lockDurationMs ?? 30_000;
  const log = logger.child({ component: 'batch-consumer', flow });
  const inflightKey = `${options.prefix}:${flow}:inflight`;
  const inflight = createInflight(options.connection, inflightKey);
  const controller = new AbortController();
  const stats = { batches: 0, items: 0 };
  let worker: Worker | undefined;
  let loops: Promise<void>[] = [];
  let claimLock: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;

  /** One claimer at a time per process: a batch fills before the next one starts. */
  const claimBatch = (token: string): Promise<Job[]> => {
    const next = claimLock.then(() => fill(token));
    claimLock = next.catch(() => undefined);
    return next;
  };

  const fill = async (token: string): Promise<Job[]> => {
    const w = worker;
    if (!w || controller.signal.aborted) return [];
    const first = await w.getNextJob(token, { block: true });
    if (!first) return [];
    const jobs: Job[] = [first];
    const deadline = Date.now() + maxWaitMs;
    let lastArrival = Date.now();
    while (jobs.length < maxBatch && !controller.signal.aborted) {
      const job = await w.getNextJob(token, { block: false });
      if (job) {
        jobs.push(job);
        lastArrival = Date.now();
        continue;
      }
      // The queue is momentarily empty: wait a little for more items rather than send a
      // small batch, but never longer than CHUNK_MAX_WAIT_MS after the first item, nor than
      // the idle gap after the last one.
      const until = Math.min(deadline, lastArrival + (options.idleGapMs ?? Infinity));
      if (Date.now() >= until) break;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(50, Math.max(1, until - Date.now()))),
      );
    }
    return jobs;
  };

  const keepLocks = (jobs: readonly Job[], token: string) => {
    const timer = setInterval(
      () => {
        void Promise.all(jobs.map((job) => job.extendLock(token, lockDurationMs))).catch(
          (err: unknown) => log.warn({ err }, 'could not extend claims'),
        );
      },
      Math.floor(lockDurationMs / 3),
    );
    timer.unref();
    return () => clearInterval(timer);
  };

  const settle = async (job: Job, item: BatchItem<T>, outcome: ItemOutcome, token: string) => {
    switch (outcome.kind) {
      case 'delivered':
      case 'superseded':
        await job.moveToCompleted(
          outcome.kind === 'delivered' ? (outcome.result ?? 'delivered') : 'superseded',
          token,
          false,
        );
        break;
      case 'rejected':
        job.discard();
        await job.moveToFailed(new Error(outcome.reason), token, false);
        break;
      case 'retry':
        await job.moveToFailed(new Error(outcome.reason), token, false);
        break;
      case 'deferred':
        await job.moveToDelayed(outcome.untilMs, token);
        break;
    }
    options.onOutcome?.(item, outcome);
  };

  const processBatch = async (jobs: Job[], token: string) => {
    const ids = jobs.map((job) => String(job.id));
    const maybeDelivered = await inflight.marked(ids);
    const items: BatchItem<T>[] = [];
    const byId = new Map<string, { job: Job; item: BatchItem<T> }>();
    const settling: Promise<void>[] = [];
    for (const job of jobs) {
      const id = String(job.id);
      const parsed = options.schema.safeParse(job.data);
      const item: BatchItem<T> = {
        id,
        data: (parsed.success ? parsed.data : job.data) as T,
        attemptsMade: job.attemptsMade,
        maybeDelivered: maybeDelivered.has(id),
      };
      if (!parsed.success) {
        const reason = `invalid job data: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
        settling.push(settle(job, item, { kind: 'rejected', reason }, token));
        continue;
      }
      items.push(item);
      byId.set(id, { job, item });
    }
    const release = keepLocks(jobs, token);
    let outcomes: Map<string, ItemOutcome>;
    try {
      outcomes =
        items.length > 0
          ? await options.deliver(items, {
              signal: controller.signal,
              markSent: (sent) => inflight.mark(sent),
              inflightKey,
            })
          : new Map<string, ItemOutcome>();
    } catch (err) {
      if (controller.signal.aborted) {
        // Shutting down before the request left: hand the items back untouched.
        await Promise.all(
          [...byId.values()].map(({ job }) => job.moveToWait(token).catch(() => undefined)),
        );
        release();
        await Promise.all(settling);
        return;
      }
      log.error({ err }, 'delivery failed unexpectedly; items will be retried');
      outcomes = new Map(
        items.map((i) => [i.id, { kind: 'retry', reason: (err as Error).message }]),
      );
    } finally {
      release();
    }
    for (const [id, { job, item }] of byId) {
      const outcome = outcomes.get(id) ?? {
        kind: 'retry',
        reason: 'no outcome reported for the item',
      };
      settling.push(settle(job, item, outcome, token));
    }
    await Promise.all(settling);
    const settledIds = [...byId.entries()]
      .filter(([id]) => {
        const kind = outcomes.get(id)?.kind;
        return kind === 'delivered' || kind === 'rejected' || kind === 'superseded';
      })
      .map(([id]) => id);
    await inflight.clear(settledIds);
    stats.batches += 1;
    stats.items += items.length;
  };

  const loop = async () => {
    while (!controller.signal.aborted) {
      const token = randomUUID();
      try {
        const jobs = await claimBatch(token);
        if (jobs.length > 0) await processBatch(jobs, token);
      } catch (err) {
        if (controller.signal.aborted) break;
        log.error({ err }, 'batch loop error; continuing');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };

  return {
    name: `${flow}-consumer`,
    stats,
    async start() {
      if (worker) return;
      worker = new Worker(flow, null, {
        connection: options.connection,
        prefix: options.prefix,
        autorun: false,
        lockDuration: lockDurationMs,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        // A process killed twice while holding the same item is no reason to park it.
        maxStalledCount: 10,
        drainDelay: 1,
      });
      worker.on('error', (err) => log.warn({ err }, 'worker error'));
      await worker.waitUntilReady();
      await worker.startStalledCheckTimer();
      loops = Array.from({ length: concurrency }, () => loop());
    },
    close() {
      return (closing ??= (async () => {
        controller.abort(new Error('shutting down'));
        // Batches whose requests have left finish and settle; the others hand their items
        // back (moveToWait above). Blocking claims end within drainDelay (1 s).
        await Promise.all(loops);
        await worker?.close();
      })());
    },
  };
}
