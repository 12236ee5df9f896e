import { z } from 'zod';

/**
 * `RECORDINGS_SIGNING_KEY`: the HMAC keys of recording URLs, with versions so they can rotate.
 *
 *   RECORDINGS_SIGNING_KEY=v2:<new secret>,v1:<old secret>
 *
 * The first entry signs new URLs; every entry verifies; a version left out no longer verifies,
 * which revokes every URL signed with it. A value without a `v<n>:` prefix is one secret, and is
 * version v1 (commas allowed in it). Secrets: at least 32 characters (`openssl rand -base64 32`),
 * no commas in the versioned form. The shape matches `SigningKeys` of packages/recordings.
 */
export interface ParsedSigningKeys {
  readonly currentVersion: string;
  readonly keys: ReadonlyMap<string, string>;
}

const VERSIONED = /^v\d{1,6}:/;
const MIN_SECRET = 32;
const MAX_KEYS = 8;

/** Parses the variable's text; throws an Error whose message never contains a secret. */
export function parseSigningKeys(text: string): ParsedSigningKeys {
  const value = text.trim();
  if (!VERSIONED.test(value)) {
    if (value.length < MIN_SECRET) {
      throw new Error(`expected a secret of at least ${MIN_SECRET} characters`);
    }
    return { currentVersion: 'v1', keys: new Map([['v1', value]]) };
  }
  const keys = new Map<string, string>();
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.length > MAX_KEYS) throw new Error(`at most ${MAX_KEYS} keys`);
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const version = colon > 0 ? entry.slice(0, colon) : '';
    const secret = colon > 0 ? entry.slice(colon + 1) : '';
    if (!/^v\d{1,6}$/.test(version)) {
      throw new Error(`entry ${index + 1}: expected v<number>:<secret>, e.g. v2:…,v1:…`);
    }
    if (keys.has(version)) throw new Error(`version ${version} appears twice`);
    if (secret.length < MIN_SECRET) {
      throw new Error(`the secret of ${version} is shorter than ${MIN_SECRET} characters`);
    }
    keys.set(version, secret);
  });
  const [currentVersion] = keys.keys();
  if (currentVersion === undefined) throw new Error('no key');
  return { currentVersion, keys };
}

/** The zod form for the variables table (an empty value is unset). */
export const signingKeys = () =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z
      .string({ error: 'required: v<n>:<secret>[,v<n>:<secret>…] or one secret' })
      .transform((text, ctx): ParsedSigningKeys => {
        try {
          return parseSigningKeys(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
  );
