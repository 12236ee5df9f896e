import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { CalltouchEndpoint } from '@touchline/calltouch';

/**
 * When each kind of traffic pauses, as a share of the daily budget still left. The leads
 * export goes first, then order updates; calls and order creates go on until nothing is left.
 */
export interface PointsThresholds {
  readonly requests_export: number;
  readonly orders_update: number;
}
export const DEFAULT_THRESHOLDS: PointsThresholds = { requests_export: 0.2, orders_update: 0.05 };

export interface PointsOptions {
  readonly redis: Redis;
  readonly prefix: string;
  /** CALLTOUCH_TIMEZONE: the points day starts at midnight there. */
  readonly timeZone: string;
  readonly costs: Readonly<Record<CalltouchEndpoint, number>>;
  /** CALLTOUCH_POINTS_DAILY_BUDGET; undefined = count only, never pause. */
  readonly budget?: number | undefined;
  readonly thresholds?: PointsThresholds;
  readonly now?: () => number;
}

export interface PointsStatus {
  readonly day: string;
  readonly spent: Record<string, number>;
  readonly total: number;
  readonly budget: number | undefined;
  readonly remaining: number | undefined;
  /** Endpoints paused now, each with the reason. */
  readonly paused: Partial<Record<CalltouchEndpoint, string>>;
  /** When the next points day starts (ms since epoch). */
  readonly nextDayAt: number;
  readonly exhaustedByCalltouch: boolean;
}

/** Thrown when the budget does not allow an endpoint now; the work waits for `untilMs`. */
export class BudgetPausedError extends Error {
  override readonly name = 'BudgetPausedError';
  constructor(
    readonly endpoint: CalltouchEndpoint,
    readonly untilMs: number,
    reason: string,
  ) {
    super(`${endpoint} paused until the next Calltouch day: ${reason}`);
  }
}

/**
 * The Calltouch points budget, shared by every process through Redis: points spent per
 * endpoint per Calltouch day (midnight in CALLTOUCH_TIMEZONE), what is left, and which
 * endpoints are paused. A pause never drops work: callers defer it to the next day.
 */
export function createPointsBudget(options: PointsOptions) {
  const { redis, prefix, timeZone, costs, budget } = options;
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const now = options.now ?? Date.now;
  const dayOf = (ms: number) => DateTime.fromMillis(ms, { zone: timeZone });
  const key = (day: string) => `${prefix}:points:${day}`;

  const today = () => {
    const local = dayOf(now());
    return {
      day: local.toISODate()!,
      nextDayAt: local.startOf('day').plus({ days: 1 }).toMillis(),
    };
  };

  const status = async (): Promise<PointsStatus> => {
    const { day, nextDayAt } = today();
    const raw = await redis.hgetall(key(day));
    const spent: Record<string, number> = {};
    let total = 0;
    for (const [field, value] of Object.entries(raw)) {
      if (field === 'exhausted') continue;
      spent[field] = Number(value);
      total += Number(value);
    }
    const exhaustedByCalltouch = raw['exhausted'] === '1';
    const remaining = budget === undefined ? undefined : Math.max(0, budget - total);
    const paused: Partial<Record<CalltouchEndpoint, string>> = {};
    const endpoints = Object.keys(costs) as CalltouchEndpoint[];
    for (const endpoint of endpoints) {
      if (exhaustedByCalltouch)
        paused[endpoint] = 'Calltouch answered that the points are exhausted';
      else if (remaining !== undefined && budget !== undefined) {
        const threshold =
          endpoint === 'requests_export' || endpoint === 'orders_update' ? thresholds[endpoint] : 0;
        if (remaining < costs[endpoint] || remaining <= budget * threshold) {
          paused[endpoint] =
            threshold > 0
              ? `${remaining} of ${budget} points left (≤ ${Math.round(threshold * 100)}%: ${endpoint} pauses)`
              : `${remaining} of ${budget} points left`;
        }
      }
    }
    return { day, spent, total, budget, remaining, paused, nextDayAt, exhaustedByCalltouch };
  };

  return {
    status,
    /** Throws {@link BudgetPausedError} when `endpoint` may not spend points now. */
    async check(endpoint: CalltouchEndpoint): Promise<void> {
      if (budget === undefined) {
        // Without a budget only Calltouch's own "exhausted" answer pauses anything.
        const { day, nextDayAt } = today();
        if ((await redis.hget(key(day), 'exhausted')) === '1') {
          throw new BudgetPausedError(
            endpoint,
            nextDayAt,
            'Calltouch answered that the points are exhausted',
          );
        }
        return;
      }
      const s = await status();
      const reason = s.paused[endpoint];
      if (reason) throw new BudgetPausedError(endpoint, s.nextDayAt, reason);
    },
    /** Records a successful request; returns the points it cost. */
    async spend(endpoint: CalltouchEndpoint): Promise<number> {
      const cost = costs[endpoint];
      const { day } = today();
      await redis
        .multi()
        .hincrbyfloat(key(day), endpoint, cost)
        .expire(key(day), 3 * 86_400)
        .exec();
      return cost;
    },
    /** Calltouch said the points are gone: everything waits for the next day. */
    async markExhausted(): Promise<void> {
      const { day } = today();
      await redis
        .multi()
        .hset(key(day), 'exhausted', '1')
        .expire(key(day), 3 * 86_400)
        .exec();
    },
  };
}
export type PointsBudget = ReturnType<typeof createPointsBudget>;
