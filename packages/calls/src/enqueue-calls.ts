import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  addJobsAtomically,
  laneJobOptions,
  toNewJob,
  type Lane,
  type NewJob,
} from '@touchline/queue';
import { createHash } from 'node:crypto';
import type { InvalidMcnRecord, McnCall } from '@touchline/mcn';
import { callEndedAt, toCalltouchCall, type ToCalltouchCallOptions } from './mapping/index.ts';
import { callsFlowSpec, type CallJob } from './flow-spec.ts';

export interface EnqueueSummary {
  read: number;
  enqueued: number;
  duplicate: number;
  skipped: number;
  rejected: number;
  skippedBy: Record<string, number>;
  rejectedBy: Record<string, number>;
}

export const emptySummary = (): EnqueueSummary => ({
  read: 0,
  enqueued: 0,
  duplicate: 0,
  skipped: 0,
  rejected: 0,
  skippedBy: {},
  rejectedBy: {},
});

/** How long a day's set of seen call ids is kept after the day: bounded, but past any re-read. */
export const SEEN_TTL_SECONDS = 8 * 86_400;

/** Which lane a call waits in: every call of a backfill is backlog. */
export type LaneOf = (call: McnCall) => Lane;

/**
 * Live when the call ended within `windowMs` of `now` (or its end cannot be read: then it is
 * news to us), backlog otherwise — a catch-up day after an outage is backlog by itself.
 */
export function laneByEnd(zone: string, windowMs: number, now: number): LaneOf {
  return (call) => {
    if (windowMs <= 0) return 'live';
    const end = callEndedAt(call, zone);
    return end === undefined || now - end <= windowMs ? 'live' : 'backlog';
  };
}

export interface EnqueueCallsOptions {
  readonly redis: Redis;
  readonly queue: Queue;
  /** The day's set of enqueued callids (`pollerKeys(prefix).seen(day)`). */
  readonly seenKey: string;
  readonly mapping: ToCalltouchCallOptions;
  readonly lane: LaneOf;
  /** Told which calls were new (not seen before), whatever became of them. */
  readonly onFresh?: (calls: readonly McnCall[]) => void;
}

/**
 * Enqueues the calls of one MCN day that were not seen before. De-duplication by `callid` uses
 * one Redis set per day (`…:mcn:seen:YYYY-MM-DD`) that expires days after the day is over, so it
 * survives restarts and does not grow without bound.
 *
 * The jobs and the "seen" marks are written in one MULTI/EXEC: a crash leaves either both or
 * neither, so a call is never marked seen without being queued (lost) nor queued twice (the
 * job id is the callid, which BullMQ refuses to add twice). Skipped calls (outbound, internal)
 * are only marked seen and counted; rejected ones (unmappable) are queued like the others and
 * parked by the worker with their reason, where operators see and can replay them.
 */
export async function enqueueCalls(
  options: EnqueueCallsOptions,
  calls: readonly McnCall[],
  summary: EnqueueSummary = emptySummary(),
): Promise<EnqueueSummary> {
  const { redis, queue, seenKey, mapping } = options;
  summary.read += calls.length;
  if (calls.length === 0) return summary;
  const unique = [...new Map(calls.map((c) => [c.callid, c])).values()];
  summary.duplicate += calls.length - unique.length;
  const seen = await redis.smismember(seenKey, ...unique.map((c) => c.callid));
  const fresh = unique.filter((_, i) => seen[i] !== 1);
  summary.duplicate += unique.length - fresh.length;
  if (fresh.length === 0) return summary;

  const jobs: NewJob<CallJob>[] = [];
  for (const call of fresh) {
    const mapped = toCalltouchCall(call, mapping);
    if (mapped.kind === 'skipped') {
      summary.skipped += 1;
      summary.skippedBy[mapped.reason] = (summary.skippedBy[mapped.reason] ?? 0) + 1;
      continue;
    }
    if (mapped.kind === 'rejected') {
      summary.rejected += 1;
      summary.rejectedBy[mapped.reason] = (summary.rejectedBy[mapped.reason] ?? 0) + 1;
    } else {
      summary.enqueued += 1;
    }
    jobs.push(toNewJob(callsFlowSpec, { mcn: call }, laneJobOptions(options.lane(call))));
  }
  // Jobs first inside the transaction, then the marks: all in one MULTI.
  await addJobsAtomically(queue, jobs, (multi) => {
    multi.sadd(seenKey, ...fresh.map((c) => c.callid));
    multi.expire(seenKey, SEEN_TTL_SECONDS);
  });
  options.onFresh?.(fresh);
  return summary;
}

/**
 * Counts MCN records that do not even parse (no callid, garbage fields) once per day, not once
 * per poll: each is remembered in the day's set of invalid records (apart from the seen calls,
 * so no callid can ever pass for a marker) by its callid or, without one, by a hash of the
 * record. Returns the records seen for the first time (to log them once).
 */
export async function countInvalidOnce(
  redis: Redis,
  invalidKey: string,
  invalid: readonly InvalidMcnRecord[],
  summary: EnqueueSummary,
): Promise<InvalidMcnRecord[]> {
  if (invalid.length === 0) return [];
  const keyOf = (bad: InvalidMcnRecord) => {
    const callid = (bad.record as { callid?: unknown } | null)?.callid;
    return typeof callid === 'string' || typeof callid === 'number'
      ? `callid:${String(callid)}`
      : `record:${createHash('sha1')
          .update(JSON.stringify(bad.record) ?? '')
          .digest('hex')}`;
  };
  const keys = invalid.map(keyOf);
  const added = await redis
    .multi()
    .smismember(invalidKey, ...keys)
    .sadd(invalidKey, ...keys)
    .expire(invalidKey, SEEN_TTL_SECONDS)
    .exec();
  const before = (added?.[0]?.[1] ?? []) as number[];
  const fresh = invalid.filter((_, i) => before[i] !== 1);
  summary.read += invalid.length;
  summary.duplicate += invalid.length - fresh.length;
  summary.rejected += fresh.length;
  if (fresh.length)
    summary.rejectedBy['invalid record'] =
      (summary.rejectedBy['invalid record'] ?? 0) + fresh.length;
  return fresh;
}
