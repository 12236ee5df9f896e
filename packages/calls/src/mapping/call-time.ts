import { DateTime, IANAZone } from 'luxon';

/** The wall-clock format of both MCN (`date`) and Calltouch (`callStartTime`). */
export const WALL_CLOCK_FORMAT = 'yyyy-MM-dd HH:mm:ss';

/** Throws a RangeError for a zone name luxon does not know: that is a configuration mistake, not a bad call. */
export function assertTimeZone(zone: string): void {
  // Checking builds an Intl formatter (~60 µs); the mapping asks twice per call, so remember.
  if (knownZones.has(zone)) return;
  if (!IANAZone.isValidZone(zone)) throw new RangeError(`unknown time zone: ${zone}`);
  knownZones.add(zone);
}
const knownZones = new Set<string>();

/**
 * Reads an MCN time (`2025-11-23 12:04:50`, zone-less, in `zone`). An explicit offset, if a
 * future API version adds one, wins over `zone`. Answers undefined for anything else.
 */
export function parseMcnTime(raw: unknown, zone: string): DateTime | undefined {
  // A time of day is required: a bare date would silently become midnight.
  if (typeof raw !== 'string' || !/\d{1,2}:\d{2}/.test(raw)) return undefined;
  const parsed = DateTime.fromSQL(raw.trim(), { zone, setZone: true });
  return parsed.isValid ? parsed : undefined;
}

/** The same instant as wall-clock time in `zone`, `yyyy-MM-dd HH:mm:ss`. */
export function toWallClock(time: DateTime, zone: string): string {
  return time.setZone(zone).toFormat(WALL_CLOCK_FORMAT);
}

/**
 * When an MCN call ended (ms since epoch): `end_date`, or else the start plus its wait and talk
 * time. Undefined when the record has no readable start. Decides the call's lane (live or
 * backlog) and its freshness (end → accepted by Calltouch).
 */
export function callEndedAt(
  call: {
    readonly date?: string | undefined;
    readonly end_date?: string | undefined;
    readonly waittime?: number | undefined;
    readonly talktime?: number | undefined;
    readonly billsec?: number | undefined;
  },
  zone: string,
): number | undefined {
  const end = parseMcnTime(call.end_date, zone);
  if (end) return end.toMillis();
  const start = parseMcnTime(call.date, zone);
  if (!start) return undefined;
  const talk = call.talktime ?? call.billsec ?? 0;
  return start.toMillis() + ((call.waittime ?? 0) + talk) * 1000;
}
