/**
 * Finds the import log id in a Calltouch import answer. Seen shapes: `{"logId": …}`
 * (our reading of the PBX document), `{"data": {"logId": …}}` (lead import, peer code),
 * `{"success": true, "eventId": …}` (sessionfact) and a bare number (telemirfact). Any other
 * body yields undefined: a 2xx is success with or without an id. Pure.
 */
export function toLogId(body: string): string | undefined {
  const text = body.trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // A bare token such as 61924734 or an id string without quotes.
    return /^[\w.:-]{1,100}$/.test(text) ? text : undefined;
  }
  return fromValue(parsed);
}

function fromValue(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '' && value.length <= 100) return value.trim();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ['logId', 'eventId']) {
    const found = scalar(record[key]);
    if (found) return found;
  }
  const data = record['data'];
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    return scalar((data as Record<string, unknown>)['logId']);
  }
  return scalar(data);
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}
