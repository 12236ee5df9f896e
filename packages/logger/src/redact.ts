/**
 * Secret scrubbing for anything that may reach a log line, an error message or a job payload.
 * Pure string functions, so clients and the logger share one definition of "secret".
 */

/** Query parameters whose values are credentials. */
const SECRET_PARAMS = [
  'apikey',
  'api_key',
  'clientApiId',
  'token',
  'access_token',
  'user_hash',
  'password',
  'sentinelPassword',
  'secret',
  // A recording URL's signature is a capability: whoever has it can listen to the call.
  'sig',
];
const PARAM_RE = new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#\\s"']*`, 'gi');
const BEARER_RE = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const URL_USERINFO_RE = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@/\s]+@/gi;

export const REDACTED = '[REDACTED]';

/** Removes credentials from free text: `apikey=` and similar query values, Bearer tokens, URL passwords. */
export function redactText(text: string): string {
  return text
    .replace(PARAM_RE, `$1${REDACTED}`)
    .replace(BEARER_RE, `$1${REDACTED}`)
    .replace(URL_USERINFO_RE, `$1${REDACTED}@`);
}

/** Also removes each known secret value wherever it occurs (belt and braces for odd places). */
export function createRedactor(secrets: Iterable<string | undefined>): (text: string) => string {
  const values = [...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => {
    let out = redactText(text);
    for (const value of values) out = out.split(value).join(REDACTED);
    return out;
  };
}

/** Field names whose values are always secret, in any object that is logged. */
export const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'access-token',
  'Access-Token',
  'x-touchline-signature',
  'apikey',
  'token',
  'password',
  'secret',
  'apiToken',
  'atsToken',
  'webhookSecret',
];
