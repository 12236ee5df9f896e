import { z } from 'zod';
import { mcnCallSchema } from '@touchline/mcn';

/**
 * A `calls` job carries the MCN record as read, not the mapped call: workers map it when they
 * send, so a call parked for a mapping problem is mapped again — with the fixed configuration —
 * when an operator replays it.
 */
export const callJobSchema = z.object({ mcn: mcnCallSchema });
export type CallJob = z.output<typeof callJobSchema>;

/** BullMQ job ids may not contain ':' (and not be integers): keep them readable and safe. */
export const callJobId = (callid: string): string => `call-${callid.replace(/:/g, '_')}`;
