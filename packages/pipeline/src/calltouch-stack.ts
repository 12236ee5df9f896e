import {
  createCalltouchClient,
  type CalltouchClient,
  type RequestEvent,
} from '@touchline/calltouch';
import type { WorkerConfig } from '@touchline/config';
import { createLimiter, type Limiter } from '@touchline/limiter';
import type { Logger } from '@touchline/logger';
import { calltouchMetrics, pointsMetrics, type Registry } from '@touchline/metrics';
import { createCalltouchGate } from './calltouch-gate.ts';
import { createPointsBudgetFromConfig, type PointsBudget } from './points.ts';
import { pointsExhaustedMatcher } from './send-batch.ts';
import type { Redis } from 'ioredis';

export type CalltouchConfig = Pick<
  WorkerConfig,
  | 'QUEUE_PREFIX'
  | 'CALLTOUCH_API_URL'
  | 'CALLTOUCH_ATS_URL'
  | 'CALLTOUCH_SITE_ID'
  | 'CALLTOUCH_API_TOKEN'
  | 'CALLTOUCH_TIMEZONE'
  | 'CALLTOUCH_RATE_LIMIT'
  | 'CALLTOUCH_RATE_MARGIN_MS'
  | 'CALLTOUCH_EGRESS_ID'
  | 'CALLTOUCH_POINTS_DAILY_BUDGET'
  | 'CALLTOUCH_POINTS_COST'
  | 'CALLTOUCH_POINTS_PAUSE_AT'
  | 'CALLTOUCH_POINTS_EXHAUSTED_STATUS'
  | 'CALLTOUCH_POINTS_EXHAUSTED_PATTERN'
  | 'CALLTOUCH_TIMEOUT_MS'
> &
  Partial<
    Pick<WorkerConfig, 'CALLTOUCH_CALLS_MODE' | 'CALLTOUCH_ATS_CODE' | 'CALLTOUCH_ATS_TOKEN'>
  >;

export interface CalltouchStack {
  readonly client: CalltouchClient;
  readonly limiter: Limiter;
  readonly budget: PointsBudget;
  readonly isPointsExhausted: ReturnType<typeof pointsExhaustedMatcher>;
  /** Closes the limiter's own connection. */
  close(): Promise<void>;
}

/** The limiter key of one egress IP: every process behind it shares the slots. */
export const limiterKey = (prefix: string, egressId: string) => `${prefix}:limiter:${egressId}`;

/**
 * The Calltouch client as every role uses it: each request passes the points budget and the
 * shared limiter right before it leaves, and is counted (requests, latency, points) after.
 */
export function createCalltouchStack(
  config: CalltouchConfig,
  redis: Redis,
  registry: Registry,
  logger: Logger,
): CalltouchStack {
  const prefix = config.QUEUE_PREFIX;
  // The limiter gets a connection of its own: on the shared one its replies would queue behind
  // bulk job scripts, and every millisecond between the departure check and the request leaving
  // is jitter the window margin has to absorb.
  const limiterRedis = redis.duplicate();
  limiterRedis.on('error', () => undefined); // the shared connection already reports outages
  const limiter = createLimiter(limiterRedis, limiterKey(prefix, config.CALLTOUCH_EGRESS_ID), {
    limit: config.CALLTOUCH_RATE_LIMIT,
    marginMs: config.CALLTOUCH_RATE_MARGIN_MS,
  });
  const budget = createPointsBudgetFromConfig(redis, config);
  const metrics = calltouchMetrics(registry);
  if (config.CALLTOUCH_POINTS_DAILY_BUDGET !== undefined) {
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
    apiUrl: config.CALLTOUCH_API_URL,
    atsUrl: config.CALLTOUCH_ATS_URL,
    siteId: config.CALLTOUCH_SITE_ID,
    apiToken: config.CALLTOUCH_API_TOKEN,
    callsMode: config.CALLTOUCH_CALLS_MODE ?? 'pbx-batch',
    ...(config.CALLTOUCH_ATS_CODE ? { atsCode: config.CALLTOUCH_ATS_CODE } : {}),
    ...(config.CALLTOUCH_ATS_TOKEN ? { atsToken: config.CALLTOUCH_ATS_TOKEN } : {}),
    timeoutMs: config.CALLTOUCH_TIMEOUT_MS,
    gate: createCalltouchGate(limiter),
    observe,
  });
  return {
    client,
    limiter,
    budget,
    isPointsExhausted: pointsExhaustedMatcher(
      config.CALLTOUCH_POINTS_EXHAUSTED_STATUS,
      config.CALLTOUCH_POINTS_EXHAUSTED_PATTERN,
    ),
    async close() {
      await limiterRedis.quit().catch(() => limiterRedis.disconnect());
    },
  };
}
