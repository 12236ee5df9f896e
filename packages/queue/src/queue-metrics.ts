import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';

export const JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'completed',
  'prioritized',
] as const;

/** Items accepted but not delivered yet: everything but completed and parked (failed). */
const PENDING_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'paused'] as const;

/** The age of the oldest item not delivered yet, ms since it was accepted (0 when none). */
export async function oldestPendingAgeMs(queue: Queue, now = Date.now()): Promise<number> {
  const jobs = await Promise.all([
    queue.getJobs(['waiting'], -1, -1, false),
    queue.getJobs(['waiting'], 0, 0, true),
    queue.getJobs(['active'], 0, 0, true),
    queue.getJobs(['delayed'], 0, 0, true),
    queue.getJobs(['prioritized'], 0, 0, true),
  ]);
  const stamps = jobs.flat().map((job) => job.timestamp);
  return stamps.length ? Math.max(0, now - Math.min(...stamps)) : 0;
}

/**
 * `touchline_queue_jobs{queue,state}`, `touchline_pending_items{flow}` and
 * `touchline_oldest_pending_seconds{flow}`, computed from Redis when Prometheus scrapes (one
 * round-trip per queue for the counts). Only `worker` and `all` register them, so that a
 * `sum()` over replicas of a role stays meaningful: each worker replica reports the same queue,
 * so dashboards use `max by (queue, state)`.
 */
export function registerQueueMetrics(registry: Registry, queues: readonly Queue[]): void {
  const snapshot = async () =>
    Promise.all(
      queues.map(async (queue) => ({
        flow: queue.name,
        queue,
        counts: await queue.getJobCounts(...JOB_STATES, 'paused'),
      })),
    );
  new Gauge({
    name: 'touchline_queue_jobs',
    help: 'BullMQ jobs per queue and state (one job per item).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { queue, counts } of await snapshot()) {
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'touchline_pending_items',
    help: 'Items accepted but not yet delivered, per flow.',
    labelNames: ['flow'] as const,
    registers: [registry],
    async collect() {
      for (const { flow, counts } of await snapshot()) {
        this.set(
          { flow },
          PENDING_STATES.reduce((sum, state) => sum + (counts[state] ?? 0), 0),
        );
      }
    },
  });
  new Gauge({
    name: 'touchline_oldest_pending_seconds',
    help: 'Age of the oldest item not yet delivered, per flow (0 when none).',
    labelNames: ['flow'] as const,
    registers: [registry],
    async collect() {
      for (const queue of queues)
        this.set({ flow: queue.name }, (await oldestPendingAgeMs(queue)) / 1000);
    },
  });
}
