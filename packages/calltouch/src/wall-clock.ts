import { DateTime } from 'luxon';

/**
 * Whether `text` is a wall-clock date and time in exactly `format` (luxon tokens) naming a real
 * calendar instant: `2024-02-30 10:00:00` is not, nor is `24:00:00` (luxon would roll it over to
 * the next day, so the text must survive a round trip). Read in UTC: no DST gap interferes.
 */
export function isWallClock(text: string, format: string): boolean {
  const parsed = DateTime.fromFormat(text, format, { zone: 'utc' });
  return parsed.isValid && parsed.toFormat(format) === text;
}
