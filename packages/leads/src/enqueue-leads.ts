import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CalltouchRequestRecord } from '@touchline/calltouch';
import { addJobsAtomically, toNewJob, type NewJob } from '@touchline/queue';
import { leadsFlowSpec, requestIdOf, type LeadJob } from './flow-spec.ts';

export interface EnqueueLeadsSummary {
  read: number;
  enqueued: number;
  /** Already enqueued earlier (overlap re-reads, restarts) or twice in one answer. */
  duplicate: number;
}

export const emptyEnqueueSummary = (): EnqueueLeadsSummary => ({
  read: 0,
  enqueued: 0,
  duplicate: 0,
});

/** The seen-set of a day outlives any re-read (the overlap is minutes): bounded, yet safe. */
const SEEN_TTL_SECONDS = 3 * 86_400;

/** Sets the checkpoint only forward: a late writer can never move it back and re-read a day. */
const SET_IF_LATER = `
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

export interface EnqueueLeadsTarget {
  readonly seenKey: string;
  readonly checkpointKey: string;
  /** The instant settled (read, all enqueued); the checkpoint moves here in the same transaction. */
  readonly checkpointMs: number;
}

/**
 * Enqueues the leads of one export slice that were not enqueued before, and moves the
 * checkpoint, in one MULTI/EXEC: the jobs, their "seen" marks and the checkpoint are written
 * together or not at all, so a crash can neither lose a lead (checkpoint past it, job missing)
 * nor enqueue one twice (the job id is `lead-<requestId>`, which BullMQ refuses to add twice
 * while the job exists; the seen-set covers the time after completed jobs are removed).
 */
export async function enqueueLeads(
  redis: Redis,
  queue: Queue,
  records: readonly CalltouchRequestRecord[],
  target: EnqueueLeadsTarget,
  summary: EnqueueLeadsSummary = emptyEnqueueSummary(),
): Promise<EnqueueLeadsSummary> {
  summary.read += records.length;
  const byId = new Map(records.map((r) => [requestIdOf(r), r]));
  summary.duplicate += records.length - byId.size;
  const ids = [...byId.keys()];
  const seen = ids.length > 0 ? await redis.smismember(target.seenKey, ...ids) : [];
  const fresh = ids.filter((_, i) => seen[i] !== 1);
  summary.duplicate += ids.length - fresh.length;
  const jobs: NewJob<LeadJob>[] = fresh.map((id) =>
    toNewJob(leadsFlowSpec, { record: byId.get(id)! }),
  );
  await addJobsAtomically(queue, jobs, (multi) => {
    if (fresh.length > 0) {
      multi.sadd(target.seenKey, ...fresh);
      multi.expire(target.seenKey, SEEN_TTL_SECONDS);
    }
    multi.eval(SET_IF_LATER, 1, target.checkpointKey, String(target.checkpointMs));
  });
  summary.enqueued += fresh.length;
  return summary;
}
