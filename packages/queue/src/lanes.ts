import type { JobsOptions } from 'bullmq';

/**
 * Two lanes per queue: what just happened (`live`) goes ahead of every backlog (a backfill,
 * catch-up after an outage, replayed items). The lanes are BullMQ's own: a live item is an
 * ordinary waiting job (priority 0), a backlog item a prioritized one. BullMQ hands out waiting
 * jobs before prioritized ones, so a batch fills from the live lane first and tops up from the
 * backlog — the backlog still drains at the ceiling, and Bull Board shows it as "prioritized".
 */
export type Lane = 'live' | 'backlog';

/** The BullMQ priority of the backlog lane (any value above 0 comes after waiting jobs). */
export const BACKLOG_PRIORITY = 1;

/** Job options that put an item in `lane`. */
export const laneJobOptions = (lane: Lane): JobsOptions =>
  lane === 'live' ? {} : { priority: BACKLOG_PRIORITY };

/** The lane of a job, from its priority. */
export const laneOf = (priority: number | undefined): Lane =>
  priority !== undefined && priority > 0 ? 'backlog' : 'live';
