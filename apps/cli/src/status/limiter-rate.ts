import type { Redis } from 'ioredis';
import { createLimiter } from '@touchline/limiter';
import { limiterKey } from '@touchline/calltouch-delivery';

/** The shared limiter of one egress IP, as `touchline status` shows it. */
export interface LimiterStatus {
  readonly egressId: string;
  /** Slots granted per second over the sample (all processes behind this egress). */
  readonly requestsPerSecond: number;
  readonly sampleMs: number;
  /** Slots granted since the limiter key was created. */
  readonly granted: number;
  /** 429 penalties applied since then (each paused the whole fleet). */
  readonly penalties: number;
  /** When a 429 pause ends (ms since epoch), or undefined when none is in force. */
  readonly pausedUntil: number | undefined;
}

/**
 * The limiter's current rate: its `granted` counter read twice, `sampleMs` apart. This reads
 * what the limiter already keeps (no extra key or write in the hot path); the price is that
 * `status` takes `sampleMs` to answer. A slot is counted when it is reserved, which may be a
 * little before the request leaves, so the figure is the rate of departures being scheduled.
 */
export async function sampleLimiterRate(
  redis: Redis,
  prefix: string,
  egressId: string,
  sampleMs = 1_000,
  now: () => number = Date.now,
): Promise<LimiterStatus> {
  // `limit` only shapes acquire(); state() reads the shared hash whatever it is.
  const limiter = createLimiter(redis, limiterKey(prefix, egressId), { limit: 1 });
  const first = await limiter.state();
  const startedAt = performance.now();
  if (sampleMs > 0) await new Promise((resolve) => setTimeout(resolve, sampleMs));
  const second = await limiter.state();
  const elapsedMs = Math.max(1, performance.now() - startedAt);
  const perSecond = sampleMs > 0 ? ((second.granted - first.granted) * 1000) / elapsedMs : 0;
  return {
    egressId,
    requestsPerSecond: Math.round(perSecond * 10) / 10,
    sampleMs: Math.round(elapsedMs),
    granted: second.granted,
    penalties: second.penalties,
    pausedUntil: second.pausedUntil > now() ? second.pausedUntil : undefined,
  };
}
