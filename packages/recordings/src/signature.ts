import { createHmac, timingSafeEqual } from 'node:crypto';
import { isNameableCallid, recordingName } from './recording-name.ts';

/**
 * Recording URLs are capabilities: `…/v1/recordings/<name>.mp3?sig=<version>.<mac>[&exp=<unix s>]`
 * where mac = HMAC-SHA256(key of <version>, domain ‖ version ‖ callid ‖ expiry), base64url.
 *
 * Keys carry versions so they can be rotated: the current one signs, older ones still verify
 * until they are removed, and removing a version revokes every URL signed with it. An unknown
 * version never verifies. The environment form (`RECORDINGS_SIGNING_KEY=v2:<secret>,v1:<old>`)
 * is parsed by `packages/config/src/signing-keys.ts`; this package takes the parsed keys.
 */
export interface SigningKeys {
  /** The version new URLs are signed with; must be a key of `keys`. */
  readonly currentVersion: string;
  /** Version → secret. Every version here verifies. */
  readonly keys: ReadonlyMap<string, string>;
}

export interface RecordingUrlOptions extends SigningKeys {
  /** URLs stop verifying after this instant (whole seconds). Default: never. */
  readonly expiresAt?: Date | undefined;
}

/** The URL path every recording lives under. */
export const RECORDINGS_PATH = '/v1/recordings/';

const VERSION_RE = /^[A-Za-z0-9]{1,16}$/;
const SIG_RE = /^([A-Za-z0-9]{1,16})\.([A-Za-z0-9_-]{43})$/;
const EXP_RE = /^\d{1,12}$/;
/** Bound to this use: a MAC made for anything else never verifies as a recording URL. */
const DOMAIN = 'touchline:recording:1';

/**
 * The MAC input. Fields are separated by newlines; only the callid can contain one, and it
 * sits between two fields that cannot (a version, digits), so the encoding is unambiguous.
 */
function mac(secret: string, version: string, callid: string, expires: string): Buffer {
  return createHmac('sha256', secret)
    .update(`${DOMAIN}\n${version}\n${callid}\n${expires}`, 'utf8')
    .digest();
}

/** Throws a RangeError when the keys cannot sign (for start-up checks and tests). */
export function assertSigningKeys(keys: SigningKeys): void {
  if (!keys.keys.has(keys.currentVersion)) {
    throw new RangeError(`the current signing key version ${keys.currentVersion} has no key`);
  }
  for (const [version, secret] of keys.keys) {
    if (!VERSION_RE.test(version)) throw new RangeError(`bad signing key version "${version}"`);
    if (secret.length < 32) throw new RangeError(`signing key ${version} is shorter than 32`);
  }
}

/**
 * `{publicBase}/v1/recordings/<encoded callid>.mp3?sig=<version>.<mac>[&exp=<unix seconds>]`.
 * Throws a RangeError for a callid that cannot be named (empty, lone surrogates).
 */
export function recordingUrl(
  publicBase: string,
  callid: string,
  options: RecordingUrlOptions,
): string {
  const version = options.currentVersion;
  const secret = options.keys.get(version);
  if (secret === undefined) throw new RangeError(`no signing key for version ${version}`);
  const expires =
    options.expiresAt === undefined ? '' : String(Math.floor(options.expiresAt.getTime() / 1000));
  const sig = `${version}.${mac(secret, version, callid, expires).toString('base64url')}`;
  const base = publicBase.replace(/\/+$/, '');
  return `${base}${RECORDINGS_PATH}${recordingName(callid)}?sig=${sig}${expires ? `&exp=${expires}` : ''}`;
}

/** Why a request's signature does not hold. */
export type SignatureProblem =
  'missing' | 'malformed' | 'unknown_key' | 'bad_signature' | 'expired';

export type SignatureCheck = { ok: true } | { ok: false; problem: SignatureProblem };

/**
 * Checks `sig` (and `exp`) of a request for `callid` — the decoded callid, exactly as signed.
 * The MAC comparison is constant-time; an unknown key version fails before any MAC is made.
 */
export function verifyRecordingSignature(
  callid: string,
  query: { sig?: unknown; exp?: unknown },
  keys: Pick<SigningKeys, 'keys'>,
  now: Date = new Date(),
): SignatureCheck {
  if (query.sig === undefined || query.sig === '') return { ok: false, problem: 'missing' };
  const match = typeof query.sig === 'string' ? SIG_RE.exec(query.sig) : null;
  const expires = query.exp === undefined ? '' : query.exp;
  if (!match || typeof expires !== 'string' || (expires !== '' && !EXP_RE.test(expires))) {
    return { ok: false, problem: 'malformed' };
  }
  if (!isNameableCallid(callid)) return { ok: false, problem: 'malformed' };
  const [, version = '', presented = ''] = match;
  const secret = keys.keys.get(version);
  if (secret === undefined) return { ok: false, problem: 'unknown_key' };
  // Compared as text: base64 decoding ignores the spare low bits of the last character, so
  // comparing decoded bytes would let a changed last character through.
  const expected = Buffer.from(mac(secret, version, callid, expires).toString('base64url'));
  const given = Buffer.from(presented);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, problem: 'bad_signature' };
  }
  if (expires !== '' && Number(expires) * 1000 <= now.getTime()) {
    return { ok: false, problem: 'expired' };
  }
  return { ok: true };
}

/** What the calls mapping takes (`toCalltouchCall`'s `recordings` option). */
export interface RecordingLinker {
  /** The signed URL of `callid`'s recording; undefined for a callid that cannot be named. */
  urlFor(callid: string): string | undefined;
}

/**
 * A linker for the worker's mapping: signs with the current key and, when `ttlMs` is given,
 * an expiry of now + ttl (the clock is read per URL).
 */
export function createRecordingLinker(
  publicBase: string,
  keys: SigningKeys,
  options: { ttlMs?: number | undefined; now?: () => Date } = {},
): RecordingLinker {
  assertSigningKeys(keys);
  const now = options.now ?? (() => new Date());
  return {
    urlFor(callid) {
      if (!isNameableCallid(callid)) return undefined;
      const expiresAt =
        options.ttlMs === undefined ? undefined : new Date(now().getTime() + options.ttlMs);
      return recordingUrl(publicBase, callid, { ...keys, expiresAt });
    },
  };
}
