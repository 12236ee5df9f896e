import type { Queue } from 'bullmq';

/**
 * Moves parked (failed) items of a queue back to waiting, with fresh attempts: they go through
 * the same batching, limiter and checks as new items. Returns how many were moved.
 */
export async function replayParked(queue: Queue): Promise<number> {
  const parked = await queue.getFailedCount();
  if (parked === 0) return 0;
  await queue.retryJobs({ state: 'failed', count: 1000 });
  return parked;
}
