/**
 * Parses an HTTP `Retry-After` header: delay-seconds (`"1"`, `"2.5"` tolerated) or an
 * HTTP-date. Returns the wait in ms from `nowMs`, never negative; undefined when the header is
 * absent or unreadable (the caller falls back to its own backoff). Pure.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP-date always names a weekday or month; a bare number is never a date here.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
