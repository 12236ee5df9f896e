import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of the body alone, `sha256=<hex>` (docs/leads.md; kept for receivers that check
 * it). It proves who sent the body, not when: a captured request verifies forever.
 */
export const SIGNATURE_HEADER = 'X-Touchline-Signature';
/**
 * The signature that also covers the time of sending: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">` (Stripe's format). The timestamp is in the same header as the signature
 * that covers it, so a receiver cannot check a time that nobody signed. docs/leads.md.
 */
export const TIMESTAMPED_SIGNATURE_HEADER = 'X-Touchline-Timestamped-Signature';
/** How far a receiver accepts `t` from its own clock, by default (either way), seconds. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

const hmac = (secret: string) => createHmac('sha256', secret);

/** `sha256=<hex HMAC-SHA256 of the exact raw body>` with LEADS_WEBHOOK_SECRET. */
export function signLeadBody(body: string | Buffer, secret: string): string {
  return `sha256=${hmac(secret).update(body).digest('hex')}`;
}

/** `t=<unixSeconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signLeadBodyAt(body: string | Buffer, secret: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${hmac(secret).update(`${t}.`).update(body).digest('hex')}`;
}

/** Both signature headers of one delivery, sent at `nowMs`. */
export function signLeadRequest(
  body: string | Buffer,
  secret: string,
  nowMs: number = Date.now(),
): Record<string, string> {
  return {
    [SIGNATURE_HEADER]: signLeadBody(body, secret),
    [TIMESTAMPED_SIGNATURE_HEADER]: signLeadBodyAt(body, secret, nowMs / 1000),
  };
}

/** Request headers as Node (`req.headers`), a plain object or fetch's `Headers` give them. */
export type LeadHeaders =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | { get(name: string): string | null };

export interface VerifyLeadSignatureOptions {
  /** Largest distance between `t` and `now`, seconds (default 300). */
  readonly toleranceSeconds?: number;
  /** The receiver's clock, ms (default `Date.now`). */
  readonly now?: () => number;
  /**
   * Accept a request that carries only the body signature (`X-Touchline-Signature`), with no
   * protection against replay. For receivers migrating from it; off by default. Touchline
   * always sends both headers, so a receiver never needs this for Touchline itself.
   */
  readonly allowLegacy?: boolean;
}

/** Why a request does or does not verify. */
export type LeadSignatureVerdict = 'ok' | 'missing' | 'malformed' | 'expired' | 'mismatch';

const header = (headers: LeadHeaders, name: string): string | undefined => {
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : record[key];
  return typeof value === 'string' ? value : value?.[0];
};

const sameHex = (hex: string, expected: Buffer): boolean =>
  /^[0-9a-f]{64}$/i.test(hex) && timingSafeEqual(Buffer.from(hex, 'hex'), expected);

/**
 * Checks a delivery as a receiver should (docs/leads.md): the timestamped signature on the raw
 * body, `t` within `toleranceSeconds` of `now`, compared in constant time; any `v1=` may match
 * (room for a second during a key rotation). The legacy body-only header counts only with
 * `allowLegacy` and only when the timestamped one is absent.
 */
export function checkLeadSignature(
  body: string | Buffer,
  headers: LeadHeaders,
  secret: string,
  options: VerifyLeadSignatureOptions = {},
): LeadSignatureVerdict {
  const timestamped = header(headers, TIMESTAMPED_SIGNATURE_HEADER)?.trim();
  if (!timestamped) {
    const legacy = header(headers, SIGNATURE_HEADER)?.trim();
    if (!options.allowLegacy || !legacy) return 'missing';
    const hex = /^sha256=(.*)$/i.exec(legacy)?.[1];
    if (hex === undefined) return 'malformed';
    return sameHex(hex, hmac(secret).update(body).digest()) ? 'ok' : 'mismatch';
  }
  const parts = timestamped.split(',').map((p) => p.trim().split('=') as [string, string?]);
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v!);
  if (t === undefined || !/^\d{1,12}$/.test(t) || signatures.length === 0) return 'malformed';
  const tolerance = options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  const now = (options.now ?? Date.now)() / 1000;
  if (Math.abs(now - Number(t)) > tolerance) return 'expired';
  const expected = hmac(secret).update(`${t}.`).update(body).digest();
  // Every candidate is compared, so the time does not tell which one matched.
  const matches = signatures.map((v1) => sameHex(v1, expected));
  return matches.includes(true) ? 'ok' : 'mismatch';
}

/** {@link checkLeadSignature} as a yes or no. */
export function verifyLeadSignature(
  body: string | Buffer,
  headers: LeadHeaders,
  secret: string,
  options: VerifyLeadSignatureOptions = {},
): boolean {
  return checkLeadSignature(body, headers, secret, options) === 'ok';
}
