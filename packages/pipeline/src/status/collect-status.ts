import type { Redis } from 'ioredis';
import type { z } from 'zod';
import type { schemas } from '@touchline/config';
import { createPointsBudgetFromConfig, type PointsStatus } from '../points.ts';
import { FLOWS, createFlowQueue } from '../queues.ts';
import { readFlowStatus, type FlowStatus } from './flow-status.ts';
import { sampleLimiterRate, type LimiterStatus } from './limiter-rate.ts';

/** What `touchline status` reads: `schemas.status` of @touchline/config. */
export type StatusConfig = z.output<typeof schemas.status>;

/** The MCN poller's durable state (`readPollerState` of @touchline/calls). */
export interface PollerReading {
  readonly checkpoint: string | undefined;
  readonly lastPollAt: number | undefined;
  readonly readThrough: number | undefined;
  readonly lastError: string | undefined;
}

/** One role instance (`readHeartbeats` of @touchline/runtime). */
export interface RoleReading {
  readonly role: string;
  readonly instanceId: string;
  readonly host: string;
  readonly pid: number;
  readonly at: number;
  readonly alive: boolean;
}

export interface McnStatus {
  readonly checkpoint: string | undefined;
  readonly lastPollAt: number | undefined;
  /** Seconds since the last poll ended (ok or not). */
  readonly lastPollAgeSeconds: number | undefined;
  /** Now minus the newest instant of the call log fully read (`touchline_mcn_poll_lag_seconds`). */
  readonly lagSeconds: number | undefined;
  readonly lastError: string | undefined;
}

export interface PointsSummary {
  readonly day: string;
  readonly spent: Readonly<Record<string, number>>;
  readonly spentTotal: number;
  readonly budget: number | undefined;
  readonly remaining: number | undefined;
  /** Endpoints paused by the budget now, with the reason. */
  readonly paused: Readonly<Record<string, string>>;
  readonly exhaustedByCalltouch: boolean;
  readonly nextDayAt: number;
}

export interface RoleStatus extends RoleReading {
  /** Seconds since its last beat. */
  readonly lastSeenSeconds: number;
}

/** Everything `touchline status` prints; `--json` prints exactly this. */
export interface TouchlineStatus {
  /** When it was read (ms since epoch). */
  readonly at: number;
  readonly prefix: string;
  readonly flows: readonly FlowStatus[];
  readonly points: PointsSummary;
  readonly mcn: McnStatus;
  readonly limiter: LimiterStatus;
  readonly roles: readonly RoleStatus[];
}

export interface CollectStatusOptions {
  /** A connection that answers (the caller checked); not closed here. */
  readonly redis: Redis;
  readonly config: StatusConfig;
  /**
   * Readers owned by other packages, passed in rather than imported: @touchline/calls builds
   * on this package, so importing it here would make a cycle.
   */
  readonly readPoller: (redis: Redis, prefix: string) => Promise<PollerReading>;
  readonly readRoles: (redis: Redis, prefix: string) => Promise<readonly RoleReading[]>;
  /** How long the limiter's rate is sampled, ms (default 1,000; 0 skips the sample). */
  readonly rateSampleMs?: number;
  readonly now?: () => number;
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

const toPoints = (s: PointsStatus): PointsSummary => ({
  day: s.day,
  spent: s.spent,
  spentTotal: s.total,
  budget: s.budget,
  remaining: s.remaining,
  paused: s.paused,
  exhaustedByCalltouch: s.exhaustedByCalltouch,
  nextDayAt: s.nextDayAt,
});

/** Reads the whole operator summary from Redis (a few round-trips per flow, plus the sample). */
export async function collectStatus(options: CollectStatusOptions): Promise<TouchlineStatus> {
  const { redis, config } = options;
  const now = options.now ?? Date.now;
  const prefix = config.QUEUE_PREFIX;
  const at = now();
  const queues = FLOWS.map((flow) => createFlowQueue(flow, redis, prefix));
  try {
    const budget = createPointsBudgetFromConfig(redis, config, now);
    const [flows, points, poller, roles, limiter] = await Promise.all([
      Promise.all(queues.map((queue, i) => readFlowStatus(queue, FLOWS[i]!, redis, at))),
      budget.status(),
      options.readPoller(redis, prefix),
      options.readRoles(redis, prefix),
      sampleLimiterRate(redis, prefix, config.CALLTOUCH_EGRESS_ID, options.rateSampleMs, now),
    ]);
    return {
      at,
      prefix,
      flows,
      points: toPoints(points),
      mcn: {
        checkpoint: poller.checkpoint,
        lastPollAt: poller.lastPollAt,
        lastPollAgeSeconds:
          poller.lastPollAt === undefined ? undefined : seconds(at - poller.lastPollAt),
        lagSeconds: poller.readThrough === undefined ? undefined : seconds(at - poller.readThrough),
        lastError: poller.lastError,
      },
      limiter,
      roles: roles.map((r) => ({ ...r, lastSeenSeconds: seconds(at - r.at) })),
    };
  } finally {
    // The queues share the caller's connection: close() leaves it open.
    await Promise.all(queues.map((q) => q.close()));
  }
}
