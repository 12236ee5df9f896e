/**
 * Parses an HTTP `Retry-After` value (delta seconds or an HTTP date) into milliseconds from
 * `now`. Answers undefined for absent or unparseable values, and never a negative delay.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: Date = new Date(),
): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  // An HTTP date always names a month; without this, Date.parse reads "-5" as the year -5.
  if (!/[a-z]{3}/i.test(raw)) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
