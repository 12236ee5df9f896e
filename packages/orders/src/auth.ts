import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type AuthResult = 'ok' | 'missing' | 'wrong';
/** What the headers alone say: `needs-body` when a signature remains to be checked on the body. */
export type HeaderAuthResult = AuthResult | 'needs-body';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
const BEARER = /^Bearer +(.+)$/i;

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest();

/** An empty header is no credential (some clients send one when the value is unset). */
const present = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

export interface WebhookAuth {
  /**
   * Checks what can be checked before a byte of the body is read: a Bearer token in full, the
   * form of a signature. `ok` needs no body; `needs-body` means a well-formed signature must
   * still match the raw body ({@link WebhookAuth.checkBody}); `missing` and `wrong` are final.
   */
  readonly checkHeaders: (
    authorization: string | undefined,
    signature: string | undefined,
  ) => HeaderAuthResult;
  /** The signature header (well-formed, per `checkHeaders`) against the exact raw body. */
  readonly checkBody: (signature: string | undefined, rawBody: Buffer) => AuthResult;
  /** Both steps at once, for callers that have the body already. */
  readonly check: (
    authorization: string | undefined,
    signature: string | undefined,
    rawBody: Buffer,
  ) => AuthResult;
}

/**
 * Checks the CRM's credentials (docs/crm-orders.md): `Authorization: Bearer <secret>` or
 * `X-Touchline-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. Every credential that is
 * presented must be right: a right token beside a wrong signature is refused.
 *
 * Constant time: the token is compared as SHA-256 digests of both sides (as the board's basic
 * auth does, packages/board/src/basic-auth.ts), so the comparison takes the same time whatever
 * the length presented and says nothing about the secret's length; a signature is 32 bytes by
 * its form.
 */
export function createWebhookAuth(secret: string): WebhookAuth {
  const key = Buffer.from(secret, 'utf8');
  const tokenDigest = sha256(key);

  const checkHeaders = (
    authorization: string | undefined,
    signature: string | undefined,
  ): HeaderAuthResult => {
    const auth = present(authorization);
    const sig = present(signature);
    if (auth === undefined && sig === undefined) return 'missing';
    if (auth !== undefined) {
      const token = BEARER.exec(auth)?.[1];
      // A malformed header is compared all the same, so that it costs what a wrong token does.
      const ok = timingSafeEqual(sha256(token ?? auth), tokenDigest);
      if (!ok || token === undefined) return 'wrong';
    }
    if (sig === undefined) return 'ok';
    return SIGNATURE.test(sig) ? 'needs-body' : 'wrong';
  };

  const checkBody = (signature: string | undefined, rawBody: Buffer): AuthResult => {
    const hex = SIGNATURE.exec(present(signature) ?? '')?.[1];
    if (hex === undefined) return present(signature) === undefined ? 'missing' : 'wrong';
    const expected = createHmac('sha256', key).update(rawBody).digest();
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected) ? 'ok' : 'wrong';
  };

  return {
    checkHeaders,
    checkBody,
    check: (authorization, signature, rawBody) => {
      const first = checkHeaders(authorization, signature);
      return first === 'needs-body' ? checkBody(signature, rawBody) : first;
    },
  };
}

/** The signature header value for `body` (for CRMs, tests and the benchmark). */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
