/**
 * Parses an HTTP `Retry-After` header: delay-seconds (`"1"`, `"2.5"` tolerated) or an HTTP-date.
 * Returns the wait in ms from `nowMs`, never negative; undefined when the header is absent or
 * unreadable (the caller falls back to its own backoff). A repeated header counts by its first
 * value. Pure.
 */
export function parseRetryAfter(
  header: string | readonly string[] | undefined,
  nowMs: number,
): number | undefined {
  const text = (typeof header === 'string' ? header : header?.[0])?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP-date always names a weekday or a month; without this, Date.parse reads "-5" as the
  // year -5 and "2026" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
