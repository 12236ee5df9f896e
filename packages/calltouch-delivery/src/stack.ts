import type { Redis } from 'ioredis';
import {
  CALLTOUCH_ENDPOINTS,
  createCalltouchClient,
  type CalltouchEndpoint,
  type CalltouchClient,
  type CalltouchClientOptions,
  type CalltouchError,
  type RequestEvent,
} from '@touchline/calltouch';
import { createLimiter, type Limiter } from '@touchline/limiter';
import type { Logger } from '@touchline/logger';
import { calltouchMetrics, pointsMetrics, type Registry } from '@touchline/metrics';
import { createCalltouchGate } from './gate.ts';
import { createPointsBudget, type PointsBudget, type PointsOptions } from './points.ts';
import { pointsExhaustedMatcher } from './send-batch.ts';

export interface CalltouchStackOptions {
  /** QUEUE_PREFIX: the limiter and the points counters live under it. */
  readonly prefix: string;
  /** The client's endpoints, credentials, calls mode and timeout. */
  readonly client: Omit<CalltouchClientOptions, 'gate' | 'observe'>;
  /** One limiter per egress IP (CALLTOUCH_EGRESS_ID, CALLTOUCH_RATE_LIMIT, _MARGIN_MS). */
  readonly limiter: {
    readonly egressId: string;
    readonly limit: number;
    readonly marginMs: number;
  };
  /** The points budget (CALLTOUCH_POINTS_*). Default: 1 point per request, counted, no budget. */
  readonly points?: Omit<PointsOptions, 'redis' | 'prefix'>;
  /** How Calltouch says the points are exhausted (statuses and a body pattern). Default: never. */
  readonly exhausted?: {
    readonly statuses: readonly number[];
    readonly pattern?: RegExp | undefined;
  };
}

export interface CalltouchStack {
  readonly client: CalltouchClient;
  readonly limiter: Limiter;
  readonly budget: PointsBudget;
  /** The points budget with its "exhausted" recogniser, as `sendRequest` takes it. */
  readonly exhaustion: {
    readonly budget: PointsBudget;
    readonly matches: (err: CalltouchError) => boolean;
  };
  /** Closes the limiter's own connection. */
  close(): Promise<void>;
}

const ONE_POINT_EACH = Object.fromEntries(CALLTOUCH_ENDPOINTS.map((e) => [e, 1])) as Record<
  CalltouchEndpoint,
  number
>;

/** The limiter key of one egress IP: every process behind it shares the slots. */
export const limiterKey = (prefix: string, egressId: string): string =>
  `${prefix}:limiter:${egressId}`;

/**
 * The Calltouch client as every role uses it: each request passes the points budget and the
 * shared limiter right before it leaves, and is counted (requests, latency, points) after.
 */
export function createCalltouchStack(
  options: CalltouchStackOptions,
  redis: Redis,
  registry: Registry,
  logger: Logger,
): CalltouchStack {
  const { prefix } = options;
  // The limiter gets a connection of its own: on the shared one its replies would queue behind
  // bulk job scripts, and every millisecond between the departure check and the request leaving
  // is jitter the window margin has to absorb.
  const limiterRedis = redis.duplicate();
  limiterRedis.on('error', () => undefined); // the shared connection already reports outages
  const limiter = createLimiter(limiterRedis, limiterKey(prefix, options.limiter.egressId), {
    limit: options.limiter.limit,
    marginMs: options.limiter.marginMs,
  });
  const points = options.points ?? { timeZone: 'Europe/Moscow', costs: ONE_POINT_EACH };
  const budget = createPointsBudget({ ...points, redis, prefix });
  const metrics = calltouchMetrics(registry);
  if (points.budget !== undefined) {
    pointsMetrics(registry).setSource(async () => {
      const status = await budget.status();
      return status.budget !== undefined && status.remaining !== undefined
        ? { budget: status.budget, remaining: status.remaining }
        : undefined;
    });
  }
  const observe = (event: RequestEvent) => {
    metrics.requests.inc({ endpoint: event.endpoint, outcome: event.outcome });
    metrics.duration.observe({ endpoint: event.endpoint }, event.durationMs / 1000);
    if (event.outcome === 'ok') {
      budget
        .spend(event.endpoint)
        .then((points) => metrics.pointsSpent.inc({ endpoint: event.endpoint }, points))
        .catch((err: unknown) => logger.warn({ err }, 'could not record points spent'));
    }
  };
  const client = createCalltouchClient({
    ...options.client,
    gate: createCalltouchGate(limiter, budget),
    observe,
  });
  return {
    client,
    limiter,
    budget,
    exhaustion: {
      budget,
      matches: pointsExhaustedMatcher(
        options.exhausted?.statuses ?? [],
        options.exhausted?.pattern,
      ),
    },
    async close() {
      await limiterRedis.quit().catch(() => limiterRedis.disconnect());
    },
  };
}
