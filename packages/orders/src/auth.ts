import { createHmac, timingSafeEqual } from 'node:crypto';

export type AuthResult = 'ok' | 'missing' | 'wrong';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/** Constant-time comparison; unequal lengths are compared against themselves to spend the time. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Checks the CRM's credentials (docs/crm-orders.md): `Authorization: Bearer <secret>` or
 * `X-Touchline-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. Every credential that is
 * presented must be right: a right token beside a wrong signature is refused.
 */
export function createWebhookAuth(secret: string) {
  const token = Buffer.from(secret, 'utf8');
  return (
    authorization: string | undefined,
    signature: string | undefined,
    rawBody: Buffer,
  ): AuthResult => {
    // An empty header is no credential (some clients send one when the value is unset).
    if (authorization?.trim() === '') authorization = undefined;
    if (signature?.trim() === '') signature = undefined;
    if (authorization === undefined && signature === undefined) return 'missing';
    if (authorization !== undefined) {
      const presented = /^Bearer (.+)$/i.exec(authorization.trim())?.[1];
      if (presented === undefined || !sameBytes(Buffer.from(presented, 'utf8'), token)) {
        return 'wrong';
      }
    }
    if (signature !== undefined) {
      const hex = SIGNATURE.exec(signature.trim())?.[1];
      if (hex === undefined) return 'wrong';
      const expected = createHmac('sha256', token).update(rawBody).digest();
      if (!sameBytes(Buffer.from(hex, 'hex'), expected)) return 'wrong';
    }
    return 'ok';
  };
}

/** The signature header value for `body` (for CRMs, tests and the benchmark). */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
