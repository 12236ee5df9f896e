import { REDACTED, SECRET_KEYS, redactText } from '@touchline/logger';

const SECRET_KEY_SET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));
/** Deeper than any job payload; a cycle or a pathological value stops here. */
const MAX_DEPTH = 32;

/**
 * A copy of `value` safe to show an operator: values under secret keys (`authorization`,
 * `token`, `password`, …, any letter case) are replaced, and every string is scrubbed of
 * `apikey=…`-style parameters, Bearer tokens and URL passwords. Job payloads carry no secrets
 * by design; this is the second line, for a reason string that quotes a URL or a header.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEY_SET.has(key.toLowerCase()) ? REDACTED : redactValue(v, depth + 1);
  }
  return out;
}
