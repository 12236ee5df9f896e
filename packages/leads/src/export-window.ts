import { DateTime } from 'luxon';
import { toCalltouchExportBound, type RequestsQuery } from '@touchline/calltouch';

/** One requests-export call: a continuous range inside one Calltouch day. */
export interface ExportSlice {
  /** The Calltouch day (YYYY-MM-DD in CALLTOUCH_TIMEZONE). */
  readonly day: string;
  readonly fromMs: number;
  /** Inclusive (the query's timeTo names the second that contains it). */
  readonly toMs: number;
  readonly query: Required<Pick<RequestsQuery, 'dateFrom' | 'dateTo' | 'timeFrom' | 'timeTo'>>;
}

/** The start of the Calltouch day that contains `ms`: the checkpoint of the very first run. */
export function startOfCalltouchDay(ms: number, timeZone: string): number {
  return DateTime.fromMillis(ms, { zone: timeZone }).startOf('day').toMillis();
}

/**
 * Splits `[fromMs, toMs]` into one slice per Calltouch day. The journal's optional
 * `timeFrom`/`timeTo` bound one continuous range, but whether a multi-day call applies them
 * to the first and last day only or to every day is not documented; one call per day is
 * unambiguous either way. Bounds have one-second resolution: `timeFrom` is rounded down, and
 * `timeTo` names the second that contains `toMs` (Calltouch includes it). Pure.
 */
export function toExportSlices(fromMs: number, toMs: number, timeZone: string): ExportSlice[] {
  const slices: ExportSlice[] = [];
  let cursor = fromMs;
  while (cursor <= toMs) {
    const local = DateTime.fromMillis(cursor, { zone: timeZone });
    const endOfDay = local.endOf('day').toMillis();
    const sliceTo = Math.min(toMs, endOfDay);
    const from = toCalltouchExportBound(cursor, timeZone);
    const to = toCalltouchExportBound(sliceTo, timeZone);
    slices.push({
      day: local.toISODate()!,
      fromMs: cursor,
      toMs: sliceTo,
      query: { dateFrom: from.date, dateTo: to.date, timeFrom: from.time, timeTo: to.time },
    });
    cursor = endOfDay + 1;
  }
  return slices;
}

/** `LEADS_REQUEST_FLAGS` (names) as the client's `flags` (name → true). */
export function toRequestFlags(names: readonly string[]): Record<string, boolean> {
  return Object.fromEntries(names.map((name) => [name, true]));
}
