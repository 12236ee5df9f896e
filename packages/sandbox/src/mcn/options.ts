import { IANAZone } from 'luxon';
import { z } from 'zod';
import type { McnEventsSettings } from './events.ts';

/** Options of {@link createMcnStandIn}; everything has a default. */
export interface McnStandInOptions {
  /** Port on 127.0.0.1; 0 (default) takes a free one. */
  port?: number;
  /** Bearer token the API accepts (default `sandbox`). */
  token?: string;
  accountId?: string;
  vpbxId?: string;
  /** Zone of the zone-less times in the log (default `Europe/Moscow`, as MCN's). */
  timeZone?: string;
  /** Seed of the generated data (default 1): the same seed gives the same calls. */
  seed?: number;
  /** Days of call history seeded at start, ending now (default 2; 0 = empty log). */
  historyDays?: number;
  /** Calls per day in the seeded history (default 1000). */
  callsPerDay?: number;
  /** New calls logged per minute while running (default 20; 0 = none). */
  liveCallsPerMinute?: number;
  /** Share of deliberately broken records (default 0.02). */
  malformedShare?: number;
  /** Days kept in memory; older ones are dropped (default max(historyDays, 7)). */
  retentionDays?: number;
  /** Size of each recording, bytes, rounded up to whole MP3 frames of 384 bytes (default 8 KiB). */
  recordingBytes?: number;
  /** Honour `Range` on recordings (default true); false answers 200 with the whole file. */
  recordingRanges?: boolean;
  /**
   * Share of recorded calls whose recording is "not ready yet" — 404, as MCN answers for a
   * file not written — until `recordingNotReadyMs` after the call's end (default 0.1).
   */
  recordingNotReadyShare?: number;
  /** How long a not-ready recording stays missing after the call ends, ms (default 2,000). */
  recordingNotReadyMs?: number;
  /** Share of recorded calls whose recording is never found: 404 for good (default 0.02). */
  recordingMissingShare?: number;
  /** VPBX webhooks sent for the calls that end while it runs (./events.ts); default none. */
  events?: McnEventsSettings;
  /** Clock, for tests (default the system clock). */
  now?: () => Date;
}

export const mcnStandInOptionsSchema = z.object({
  port: z.int().min(0).max(65_535).default(0),
  token: z.string().min(1).default('sandbox'),
  accountId: z.string().min(1).default('sandbox'),
  vpbxId: z.string().min(1).default('sandbox'),
  timeZone: z
    .string()
    .refine((zone) => IANAZone.isValidZone(zone), 'unknown time zone')
    .default('Europe/Moscow'),
  seed: z.int().default(1),
  historyDays: z.number().min(0).max(366).default(2),
  callsPerDay: z.int().min(0).max(1_000_000).default(1000),
  liveCallsPerMinute: z.number().min(0).max(60_000).default(20),
  malformedShare: z.number().min(0).max(1).default(0.02),
  retentionDays: z.int().min(1).max(3660).optional(),
  recordingBytes: z
    .int()
    .min(1)
    .max(1024 * 1024 * 1024)
    .default(8 * 1024),
  recordingRanges: z.boolean().default(true),
  recordingNotReadyShare: z.number().min(0).max(1).default(0.1),
  recordingNotReadyMs: z.int().min(0).max(3_600_000).default(2_000),
  recordingMissingShare: z.number().min(0).max(1).default(0.02),
});
