import { DateTime } from 'luxon';

/**
 * Calltouch's date formats, which differ per method: call import `yyyy-mm-dd hh:mm:ss`,
 * orders `dd-mm-yyyy hh:mm:ss`, requests export dates `mm/dd/yyyy` and times `hh:mm:ss`.
 * Each helper renders an instant in the account's time zone (`CALLTOUCH_TIMEZONE`).
 */

const at = (instant: Date | number, timeZone: string): DateTime => {
  const dt = DateTime.fromMillis(typeof instant === 'number' ? instant : instant.getTime(), {
    zone: timeZone,
  });
  if (!dt.isValid) throw new RangeError(`invalid instant or time zone ${timeZone}`);
  return dt;
};

/** `yyyy-mm-dd hh:mm:ss`, the call import's `callStartTime`. */
export function toCalltouchDateTime(instant: Date | number, timeZone: string): string {
  return at(instant, timeZone).toFormat('yyyy-MM-dd HH:mm:ss');
}

/** `dd-mm-yyyy hh:mm:ss`, the orders API's `orderDate` / `statusDate`. */
export function toCalltouchOrderDateTime(instant: Date | number, timeZone: string): string {
  return at(instant, timeZone).toFormat('dd-MM-yyyy HH:mm:ss');
}

/** `{date: 'mm/dd/yyyy', time: 'hh:mm:ss'}`, the requests export's `dateFrom`/`timeFrom` pair. */
export function toCalltouchExportBound(
  instant: Date | number,
  timeZone: string,
): { date: string; time: string } {
  const dt = at(instant, timeZone);
  return { date: dt.toFormat('MM/dd/yyyy'), time: dt.toFormat('HH:mm:ss') };
}
