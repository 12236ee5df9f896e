import type { Queue } from 'bullmq';

/**
 * Moves parked (failed) items of a queue back to waiting with fresh attempts: they go through
 * the same batching, limiter and checks as new items. Returns how many were moved.
 */
export async function replayParked(queue: Queue, pageSize = 500): Promise<number> {
  let moved = 0;
  for (;;) {
    // Each retried job leaves the failed set, so the first page is always the next one.
    const jobs = await queue.getFailed(0, pageSize - 1);
    if (jobs.length === 0) return moved;
    await Promise.all(
      jobs.map((job) =>
        job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }),
      ),
    );
    moved += jobs.length;
  }
}
