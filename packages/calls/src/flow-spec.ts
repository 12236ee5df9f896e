import { z } from 'zod';
import { mcnCallSchema } from '@touchline/mcn';
import { retryingJobOptions, toJobId, type FlowSpec } from '@touchline/queue';

/**
 * A `calls` job carries the MCN record as read, not the mapped call: workers map it when they
 * send, so a call parked for a mapping problem is mapped again — with the fixed configuration —
 * when an operator replays it.
 */
export const callJobSchema = z.object({ mcn: mcnCallSchema });
export type CallJob = z.output<typeof callJobSchema>;

/** The `calls` queue: one job per finished MCN call, job id `call-<callid>`. */
export const callsFlowSpec: FlowSpec<CallJob> = {
  name: 'calls',
  jobName: 'call',
  description:
    'MCN calls waiting for the Calltouch import; failed = parked with the reason (replayable)',
  schema: callJobSchema,
  // An hour of completed calls (20,000 at most) for Bull Board; 500 calls/s would be 1.8 M.
  jobOptions: retryingJobOptions({
    firstDelayMs: 1_000,
    keepCompleted: { age: 3_600, count: 20_000 },
  }),
  jobId: (job) => toJobId('call', job.mcn.callid),
};
