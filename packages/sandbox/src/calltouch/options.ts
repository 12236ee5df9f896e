import { z } from 'zod';
import { faultSettingsSchema, NO_FAULTS, type FaultSettings } from './faults.ts';

/** Options of {@link createCalltouchStandIn}; every one has a default. */
export const calltouchStandInOptionsSchema = z.strictObject({
  /** 0 (default) picks a free port. Always bound to 127.0.0.1. */
  port: z.int().min(0).max(65535).default(0),
  atsCode: z.string().min(1).default('sandbox'),
  atsToken: z.string().min(1).default('sandbox'),
  apiToken: z.string().min(1).default('sandbox'),
  siteId: z.string().min(1).default('sandbox'),
  /** Requests per window per client IP (Calltouch: 5 per second). */
  rateLimit: z.int().min(1).default(5),
  windowMs: z.int().min(1).default(1000),
  /**
   * Network jitter on the way in, ms: each request reaches the rate window (and the rest of
   * the stand-in) after a seeded random delay in [0, arrivalJitterMs], as if its trip took a
   * base latency plus that much. Two requests sent 205 ms apart may then arrive 185 ms apart,
   * or in the other order. 0 (default): the window sees each request the moment it comes in.
   */
  arrivalJitterMs: z.int().min(0).max(10_000).default(0),
  /** Uniform latency of every answer, ms; 0/0 for fast unit tests. */
  latencyMs: z
    .strictObject({ min: z.int().min(0), max: z.int().min(0) })
    .refine((l) => l.max >= l.min, 'max must be >= min')
    .default({ min: 20, max: 60 }),
  /** Points per successful request by endpoint (Calltouch's costs are not public). */
  pointsCost: z
    .strictObject({
      calls_import: z.number().min(0).optional(),
      orders_create: z.number().min(0).optional(),
      orders_update: z.number().min(0).optional(),
      requests_export: z.number().min(0).optional(),
    })
    .default({}),
  faults: faultSettingsSchema.partial().default({}),
  /** The Calltouch account's time zone (journal dates and filters). */
  timeZone: z.string().default('Europe/Moscow'),
  /** Seed of the journal data and of fault/latency draws. */
  seed: z.int().default(20_240_404),
  /** The seeded journal: `perDay` requests over each of the last `historyDays` days. */
  historyDays: z.int().min(0).max(366).default(7),
  requestsPerDay: z.int().min(0).max(10_000).default(40),
  /**
   * Play recordings: fetch the recordUrl of each newly imported call, as Calltouch's cabinet
   * does when someone presses play, and keep the results (`/__sandbox/recordings`).
   */
  fetchRecordings: z.boolean().default(false),
  /** Recordings fetched at once when playing. */
  recordingFetchConcurrency: z.int().min(1).max(64).default(4),
  recordingFetchTimeoutMs: z.int().min(100).max(600_000).default(30_000),
  /** New journal requests arriving by themselves; 0 = none. */
  liveRequestsPerMinute: z.number().min(0).max(6000).default(0),
});

export type CalltouchStandInOptions = z.input<typeof calltouchStandInOptionsSchema>;
export type ResolvedStandInOptions = z.output<typeof calltouchStandInOptionsSchema>;

export const initialFaults = (o: ResolvedStandInOptions): FaultSettings => {
  const defined = Object.fromEntries(
    Object.entries(o.faults).filter(([, v]) => v !== undefined),
  ) as Partial<FaultSettings>;
  return { ...NO_FAULTS, ...defined };
};
