import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature of each lead delivery. */
export const SIGNATURE_HEADER = 'X-Touchline-Signature';

/** `sha256=<hex HMAC-SHA256 of the exact raw body>` with LEADS_WEBHOOK_SECRET. */
export function signLeadBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Checks a received signature in constant time, as a receiver should (docs/leads.md shows the
 * same code). Exported for tests and for receivers written in TypeScript.
 */
export function verifyLeadSignature(
  body: string | Buffer,
  header: string | undefined,
  secret: string,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(signLeadBody(body, secret));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
