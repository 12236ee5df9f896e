import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@touchline/logger';
import type { FlowDefinition } from './flow.ts';
import { createInflight } from './inflight.ts';
import { laneOf } from './lanes.ts';
import type { BatchItem, ItemOutcome } from './outcome.ts';

export interface BatchConsumerOptions<T> {
  readonly flow: FlowDefinition<T>;
  /** A worker-role connection (`maxRetriesPerRequest: null`). Not closed by the consumer. */
  readonly connection: Redis;
  readonly prefix: string;
  readonly logger: Logger;
  /** How long a claim lasts without renewal; a killed process's items return after it. */
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

export interface BatchConsumer {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Batches delivered since start (for tests and status). */
  readonly stats: { batches: number; items: number };
}

/** How often old in-flight marks are pruned (see `createInflight`). */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * The error an item is failed with when it is parked or retried for a reason (a call that cannot
 * be mapped, an order Calltouch rejects, a 5xx): the reason and nothing else. BullMQ stores an
 * error's `stack` as the item's stack trace, which Bull Board shows as the item's error; this
 * consumer's call stack and the install's file paths beneath it would bury a data problem under
 * what looks like a code failure. An unexpected exception keeps its own stack (`retry.error`).
 */
const reasonOnly = (reason: string): Error => Object.assign(new Error(reason), { stack: reason });

/** The Redis hash of a flow's in-flight marks. */
export const inflightKey = (prefix: string, flow: string): string => `${prefix}:${flow}:inflight`;

/**
 * Packs the jobs of one flow's queue into batches and hands them to the flow's `deliver`.
 * BullMQ has no batches in its open-source edition, so the consumer claims jobs one by one with a
 * shared lock token (`Worker.getNextJob`): every item of a batch is an ordinary active job,
 * locked in Redis.
 *
 * Crash safety comes from BullMQ's own guarantees: a claimed job is either completed, failed,
 * delayed, or — if the process dies — its lock expires and the stalled-job checker moves it
 * back to waiting. No item can be lost between claim and settle, and no item is in two
 * batches at once. The only repeat is a request that left without its answer arriving: those
 * items are marked in flight and their re-delivery is counted as a duplicate.
 */
export function createBatchConsumer<T>(options: BatchConsumerOptions<T>): BatchConsumer {
  const { flow, logger } = options;
  const { max: maxBatch, maxWaitMs, idleGapMs } = flow.batch;
  const concurrency = flow.batch.concurrency ?? 4;
  const lockDurationMs = options.lockDurationMs ?? 30_000;
  const log = logger.child({ component: 'batch-consumer', flow: flow.name });
  const inflight = createInflight(options.connection, inflightKey(options.prefix, flow.name));
  const controller = new AbortController();
  const stats = { batches: 0, items: 0 };
  let worker: Worker | undefined;
  let loops: Promise<void>[] = [];
  let claimLock: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;

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
      // small batch, but never longer than maxWaitMs after the first item, nor than the idle
      // gap after the last one.
      const until = Math.min(deadline, lastArrival + (idleGapMs ?? Infinity));
      if (Date.now() >= until) break;
      await sleep(Math.min(50, Math.max(1, until - Date.now())));
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
        await job.moveToFailed(reasonOnly(outcome.reason), token, false);
        break;
      case 'retry':
        await job.moveToFailed(outcome.error ?? reasonOnly(outcome.reason), token, false);
        break;
      case 'deferred':
        await job.moveToDelayed(outcome.untilMs, token);
        break;
      case 'released':
        await job.moveToWait(token);
        break;
    }
    flow.onOutcome?.(item, outcome);
  };

  const processBatch = async (jobs: Job[], token: string) => {
    const ids = jobs.map((job) => String(job.id));
    const maybeDelivered = await inflight.marked(ids);
    const items: BatchItem<T>[] = [];
    const byId = new Map<string, { job: Job; item: BatchItem<T> }>();
    const settling: Promise<void>[] = [];
    for (const job of jobs) {
      const id = String(job.id);
      const parsed = flow.schema.safeParse(job.data);
      const item: BatchItem<T> = {
        id,
        data: (parsed.success ? parsed.data : job.data) as T,
        attemptsMade: job.attemptsMade,
        attempts: job.opts.attempts ?? 1,
        maybeDelivered: maybeDelivered.has(id),
        lane: laneOf(job.priority),
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
          ? await flow.deliver(items, { signal: controller.signal, inflight })
          : new Map<string, ItemOutcome>();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (controller.signal.aborted) {
        // A delivery that gives up on shutdown without outcomes has sent nothing it could not
        // account for: its items go back untouched.
        outcomes = new Map(items.map((i) => [i.id, { kind: 'released', reason }]));
      } else {
        log.error({ err }, 'delivery failed unexpectedly; items will be retried');
        const error = err instanceof Error ? { error: err } : {};
        outcomes = new Map(items.map((i) => [i.id, { kind: 'retry', reason, ...error }]));
      }
    } finally {
      release();
    }
    // Only items whose transition is in Redis lose their in-flight mark: a delivered item whose
    // completion failed (Redis went away) keeps it, so its re-send after the claim expires is
    // counted as a duplicate instead of hidden.
    const settled: string[] = [];
    for (const [id, { job, item }] of byId) {
      const outcome = outcomes.get(id) ?? {
        kind: 'retry',
        reason: 'no outcome reported for the item',
      };
      settling.push(
        settle(job, item, outcome, token).then(
          () => {
            if (
              outcome.kind === 'delivered' ||
              outcome.kind === 'rejected' ||
              outcome.kind === 'superseded'
            )
              settled.push(id);
          },
          (err: unknown) =>
            log.warn(
              { err, jobId: id },
              'could not settle an item; its claim will expire and it will be retried',
            ),
        ),
      );
    }
    await Promise.all(settling);
    await inflight.clear(settled);
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
        await sleep(1_000);
      }
    }
  };

  const prune = () =>
    void inflight
      .prune()
      .then((n) => n > 0 && log.info({ pruned: n }, 'old in-flight marks pruned'))
      .catch((err: unknown) => log.warn({ err }, 'could not prune in-flight marks'));

  return {
    name: `${flow.name}-consumer`,
    stats,
    async start() {
      if (worker) return;
      worker = new Worker(flow.name, null, {
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
      prune();
      pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
      pruneTimer.unref();
      loops = Array.from({ length: concurrency }, () => loop());
    },
    close() {
      return (closing ??= (async () => {
        controller.abort(new Error('shutting down'));
        clearInterval(pruneTimer);
        // Batches whose requests have left finish and settle; the others hand their items
        // back (`released`). Blocking claims end within drainDelay (1 s).
        await Promise.all(loops);
        await worker?.close();
      })());
    },
  };
}
