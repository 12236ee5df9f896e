import { z } from 'zod';
import { calltouchRequestRecordSchema } from '@touchline/calltouch';

/**
 * A `leads` job carries the Calltouch record as exported, not the webhook body: the body is
 * built when the lead is sent, so a lead parked for a bad mapping is rebuilt — with the fixed
 * code or configuration — when an operator replays it.
 */
export const leadJobSchema = z.object({ record: calltouchRequestRecordSchema });
export type LeadJob = z.output<typeof leadJobSchema>;

/** BullMQ job ids may not contain ':' nor be bare integers: `lead-<requestId>`. */
export const leadJobId = (requestId: string | number): string =>
  `lead-${String(requestId).trim().replace(/:/g, '_')}`;

/** Redis keys of the leads flow beside its BullMQ queue (a separate namespace: no clash). */
export const leadsKeys = (prefix: string) => ({
  /** The instant (ms) from which the next export reads: every lead before it is enqueued. */
  checkpoint: `${prefix}:leads-export:checkpoint`,
  /** Last poll, last error, pause: read by `touchline status`. */
  state: `${prefix}:leads-export:state`,
  /** One exporter at a time across processes (each export spends points). */
  lock: `${prefix}:leads-export:lock`,
  /** requestIds already enqueued, per Calltouch day of the slice that read them. */
  seen: (day: string) => `${prefix}:leads-export:seen:${day}`,
  /** Leads whose POST has left without an answer yet (in-flight marks). */
  sent: `${prefix}:leads-delivery:sent`,
});
