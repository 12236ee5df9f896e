import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebhookAuth, signBody } from '../src/index.ts';

// A spy that records what the real timingSafeEqual is given; its answers are the real ones.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof crypto>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});
const compare = vi.mocked(crypto.timingSafeEqual);

const SECRET = 'crm-secret-0123456789abcdef';
const body = Buffer.from('{"orderNumber":"A-1"}');

afterEach(() => compare.mockClear());

describe('createWebhookAuth', () => {
  const auth = createWebhookAuth(SECRET).check;

  it('takes the right token or the right signature, refuses anything else', () => {
    expect(auth(`Bearer ${SECRET}`, undefined, body)).toBe('ok');
    expect(auth(`bearer  ${SECRET} `, undefined, body)).toBe('ok');
    expect(auth(undefined, signBody(SECRET, body), body)).toBe('ok');
    expect(auth(undefined, undefined, body)).toBe('missing');
    expect(auth('', ' ', body)).toBe('missing');
    expect(auth(`Bearer ${SECRET}x`, undefined, body)).toBe('wrong');
    expect(auth(`Basic ${SECRET}`, undefined, body)).toBe('wrong');
    expect(auth(undefined, signBody('other-secret', body), body)).toBe('wrong');
    expect(auth(`Bearer ${SECRET}`, 'sha256=' + '0'.repeat(64), body)).toBe('wrong');
  });

  it('decides from the headers alone what it can, before any byte of the body', () => {
    const { checkHeaders, checkBody } = createWebhookAuth(SECRET);
    expect(checkHeaders(`Bearer ${SECRET}`, undefined)).toBe('ok');
    expect(checkHeaders(undefined, undefined)).toBe('missing');
    expect(checkHeaders('Bearer nope', signBody(SECRET, body))).toBe('wrong');
    expect(checkHeaders(undefined, 'sha256=short')).toBe('wrong');
    // A well-formed signature can only be judged on the body.
    expect(checkHeaders(undefined, signBody(SECRET, body))).toBe('needs-body');
    expect(checkHeaders(`Bearer ${SECRET}`, signBody('x', body))).toBe('needs-body');
    expect(checkBody(signBody(SECRET, body), body)).toBe('ok');
    expect(checkBody(signBody(SECRET, body), Buffer.from(`${body.toString()} `))).toBe('wrong');
  });

  // Issue 12 item 12: a comparison that stops at a length mismatch answers sooner for a token of
  // the wrong length, which tells an attacker the secret's length. Both sides are digested
  // first, so every comparison is of two 32-byte digests, whatever was presented.
  it.each([1, 8, SECRET.length - 1, SECRET.length, SECRET.length + 1, 4096])(
    'compares fixed-length digests for a token of %i characters',
    (length) => {
      expect(auth(`Bearer ${'x'.repeat(length)}`, undefined, body)).toBe('wrong');
      expect(compare).toHaveBeenCalledTimes(1);
      const [a, b] = compare.mock.calls[0]!;
      expect([a.byteLength, b.byteLength]).toEqual([32, 32]);
    },
  );
});
