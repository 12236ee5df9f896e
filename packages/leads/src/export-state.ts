import type { Redis } from 'ioredis';
import { leadsKeys } from './flow-spec.ts';

/** What `touchline status` shows about the leads export. */
export interface LeadsExportState {
  /** The instant (ms) read through: every lead created before it is enqueued. */
  readonly checkpoint: number | undefined;
  readonly lastPollAt: number | undefined;
  readonly lastError: string | undefined;
  /** Set while the points budget pauses the export: until when, and why. */
  readonly pausedUntil: number | undefined;
  readonly pausedReason: string | undefined;
}

const num = (v: string | null | undefined) => (v ? Number(v) : undefined);

export async function readLeadsExportState(
  redis: Redis,
  prefix: string,
): Promise<LeadsExportState> {
  const keys = leadsKeys(prefix);
  const [checkpoint, state] = await Promise.all([
    redis.get(keys.checkpoint),
    redis.hgetall(keys.state),
  ]);
  return {
    checkpoint: num(checkpoint),
    lastPollAt: num(state['lastPollAt']),
    lastError: state['lastError'] || undefined,
    pausedUntil: num(state['pausedUntil']),
    pausedReason: state['pausedReason'] || undefined,
  };
}
