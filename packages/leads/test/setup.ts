import { DateTime } from 'luxon';
import type { CalltouchStandIn } from '@touchline/sandbox';

export const ZONE = 'Europe/Moscow';
export const SECRET = 'leads-webhook-SECRET-5d1e';

/** An instant given as local time of the Calltouch account (Europe/Moscow). */
export const at = (iso: string): number => DateTime.fromISO(iso, { zone: ZONE }).toMillis();

/** The ids the journal holds for `[fromMs, toMs]` (inclusive), as strings. */
export function journalIds(standIn: CalltouchStandIn, fromMs = 0, toMs = Infinity): string[] {
  return standIn
    .journal()
    .filter((r) => r.date >= fromMs && r.date <= toMs)
    .map((r) => String(r.requestId))
    .sort();
}
