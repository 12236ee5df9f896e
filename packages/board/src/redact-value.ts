import { REDACTED, SECRET_KEYS, redactText } from '@touchline/logger';
import { maskPersonalText, personalMask } from './mask-personal.ts';

const SECRET_KEY_SET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));
/**
 * Identifiers: Bull Board's own (the UI links and acts by them) and the flows' ids that an
 * operator searches for. Free-text masking must not touch them (an order number or a job id may
 * look like a phone number); secrets are still scrubbed.
 */
const IDENTIFIER_KEYS = new Set([
  'id',
  'jobId',
  'parentKey',
  'repeatJobKey',
  'name',
  'queueName',
  'callid',
  'orderNumber',
  'referenceId',
  'requestId',
  'requestNumber',
]);
/** Deeper than any job payload; a cycle or a pathological value stops here. */
const MAX_DEPTH = 32;

/**
 * A copy of `value` safe to show an operator: values under secret keys (`authorization`,
 * `token`, `password`, …, any letter case) are replaced; phone numbers and e-mail addresses are
 * masked, by key (`phones`, `src_num`, `did`, `emails`, …) and in free text (./mask-personal.ts);
 * every string is scrubbed of `apikey=…`-style parameters, Bearer tokens and URL passwords. Job
 * payloads carry no secrets by design; that part is the second line, for a reason string that
 * quotes a URL or a header.
 */
export function redactValue(value: unknown, depth = 0, key = ''): unknown {
  if (typeof value === 'string') {
    const scrubbed = redactText(value);
    return IDENTIFIER_KEYS.has(key) ? scrubbed : maskPersonalText(scrubbed);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const mask = personalMask(k);
    out[k] = SECRET_KEY_SET.has(k.toLowerCase())
      ? REDACTED
      : mask
        ? mask(redactValue(v, depth + 1))
        : redactValue(v, depth + 1, k);
  }
  return out;
}
