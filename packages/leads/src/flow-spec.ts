import { z } from 'zod';
import { calltouchRequestRecordSchema } from '@touchline/calltouch';
import { retryingJobOptions, toJobId, type FlowSpec } from '@touchline/queue';

/**
 * A `leads` job carries the Calltouch record as exported, not the webhook body: the body is
 * built when the lead is sent, so a lead parked for a bad mapping is rebuilt — with the fixed
 * code or configuration — when an operator replays it.
 */
export const leadJobSchema = z.object({ record: calltouchRequestRecordSchema });
export type LeadJob = z.output<typeof leadJobSchema>;

/** The request id of a lead as Touchline keys it: Calltouch's id as text, trimmed. */
export const requestIdOf = (record: { requestId: string | number }): string =>
  String(record.requestId).trim();

/** The `leads` queue: one job per Calltouch request, job id `lead-<requestId>`. */
export const leadsFlowSpec: FlowSpec<LeadJob> = {
  name: 'leads',
  jobName: 'lead',
  description:
    'Calltouch leads waiting for delivery to the CRM webhook; failed = parked with the answer',
  schema: leadJobSchema,
  jobOptions: retryingJobOptions({
    firstDelayMs: 2_000,
    keepCompleted: { age: 86_400, count: 20_000 },
  }),
  jobId: (job) => toJobId('lead', requestIdOf(job.record)),
};

/** Redis keys of the leads export beside its BullMQ queue (a separate namespace: no clash). */
export const leadsKeys = (prefix: string) => ({
  /** The instant (ms) from which the next export reads: every lead before it is enqueued. */
  checkpoint: `${prefix}:leads-export:checkpoint`,
  /** Last poll, last error, pause: read by `touchline status`. */
  state: `${prefix}:leads-export:state`,
  /** One exporter at a time across processes (each export spends points). */
  lock: `${prefix}:leads-export:lock`,
  /** requestIds already enqueued, per Calltouch day of the slice that read them. */
  seen: (day: string) => `${prefix}:leads-export:seen:${day}`,
  /** The channel on which the public HTTP role asks for a read (Calltouch lead events). */
  wake: `${prefix}:leads-export:wake`,
});
