import { Job, type Queue } from 'bullmq';
import { BACKLOG_PRIORITY, laneOf } from './lanes.ts';

/** What one `replay` did to a queue. */
export interface ReplaySummary {
  /** Items parked when the replay started. */
  readonly parked: number;
  /** Of those, moved back to waiting with fresh attempts. */
  readonly moved: number;
  /** Of those, no longer parked when their turn came (replayed by someone else, removed). */
  readonly gone: number;
}

/**
 * Moves the items parked (failed) when it starts back to waiting, with fresh attempts, in the
 * backlog lane: they go through the same batching, limiter and checks as new items, behind
 * what is live. The ids are read first, so an
 * item that fails again while the replay runs is not replayed a second time (the replay ends,
 * and counts each item once).
 */
export async function replayParked(queue: Queue, chunkSize = 500): Promise<ReplaySummary> {
  const client = await queue.client;
  const ids = await client.zrange(queue.toKey('failed'), 0, -1);
  let moved = 0;
  let gone = 0;
  for (let i = 0; i < ids.length; i += chunkSize) {
    const results = await Promise.all(
      ids.slice(i, i + chunkSize).map(async (id) => {
        const job = await Job.fromId(queue, id);
        if (!job || (await job.isFailed()) === false) return false;
        try {
          // A replayed item is backlog: it must not cut in front of what is happening now.
          if (laneOf(job.priority) === 'live')
            await job.changePriority({ priority: BACKLOG_PRIORITY });
          await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
          return true;
        } catch {
          // Moved or removed between the check and the retry: not ours to count.
          return false;
        }
      }),
    );
    for (const ok of results) {
      if (ok) moved += 1;
      else gone += 1;
    }
  }
  return { parked: ids.length, moved, gone };
}
