import type { Redis } from 'ioredis';
import { readPollerState } from '@touchline/calls';
import { createPointsBudget, type PointsStatus } from '@touchline/calltouch-delivery';
import type { StatusConfig } from '@touchline/config';
import { createFlowQueue } from '@touchline/queue';
import { readLeadsExportState } from '@touchline/leads';
import { FLOW_SPECS, pointsOptions } from '@touchline/roles';
import { readHeartbeats, type RoleLiveness } from '@touchline/runtime';
import { readFlowStatus, type FlowStatus } from './flow-status.ts';
import { sampleLimiterRate, type LimiterStatus } from './limiter-rate.ts';

export interface McnStatus {
  readonly checkpoint: string | undefined;
  readonly lastPollAt: number | undefined;
  /** Seconds since the last poll ended (ok or not). */
  readonly lastPollAgeSeconds: number | undefined;
  /** Now minus the newest instant of the call log fully read (`touchline_mcn_poll_lag_seconds`). */
  readonly lagSeconds: number | undefined;
  readonly lastError: string | undefined;
}

export interface LeadsStatus {
  /** Every lead created in Calltouch before this instant (ms) is enqueued for the CRM. */
  readonly checkpoint: number | undefined;
  readonly lastPollAt: number | undefined;
  /** Seconds since the last export ended (ok or not). */
  readonly lastPollAgeSeconds: number | undefined;
  readonly lastError: string | undefined;
  /** While the points budget pauses the export (in the future only): until when, and why. */
  readonly pausedUntil: number | undefined;
  readonly pausedReason: string | undefined;
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

export interface RoleStatus extends RoleLiveness {
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
  readonly leads: LeadsStatus;
  readonly limiter: LimiterStatus;
  readonly roles: readonly RoleStatus[];
}

export interface CollectStatusOptions {
  /** A connection that answers (the caller checked); not closed here. */
  readonly redis: Redis;
  readonly config: StatusConfig;
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
  const queues = FLOW_SPECS.map((flow) => createFlowQueue(flow, redis, prefix));
  try {
    const budget = createPointsBudget({ ...pointsOptions(config), redis, prefix, now });
    const [flows, points, poller, leads, roles, limiter] = await Promise.all([
      Promise.all(queues.map((queue, i) => readFlowStatus(queue, FLOW_SPECS[i]!, redis, at))),
      budget.status(),
      readPollerState(redis, prefix),
      readLeadsExportState(redis, prefix),
      readHeartbeats(redis, prefix),
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
      leads: {
        checkpoint: leads.checkpoint,
        lastPollAt: leads.lastPollAt,
        lastPollAgeSeconds:
          leads.lastPollAt === undefined ? undefined : seconds(at - leads.lastPollAt),
        lastError: leads.lastError,
        ...(leads.pausedUntil !== undefined && leads.pausedUntil > at
          ? { pausedUntil: leads.pausedUntil, pausedReason: leads.pausedReason }
          : { pausedUntil: undefined, pausedReason: undefined }),
      },
      limiter,
      roles: roles.map((r) => ({ ...r, lastSeenSeconds: seconds(at - r.at) })),
    };
  } finally {
    // The queues share the caller's connection: close() leaves it open.
    await Promise.all(queues.map((q) => q.close()));
  }
}
