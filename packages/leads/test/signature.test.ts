import { describe, expect, it } from 'vitest';
import {
  checkLeadSignature,
  signLeadBody,
  signLeadBodyAt,
  signLeadRequest,
  verifyLeadSignature,
} from '../src/index.ts';

const SECRET = 'secret';
const body = '{"requestId":"1"}';
const T = 1_700_000_000;
const at = (seconds: number) => () => seconds * 1000;

// Issue 12 item 13: a captured delivery must not verify forever.
describe('timestamped lead signature', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    // echo -n '1700000000.{"requestId":"1"}' | openssl dgst -sha256 -hmac secret
    expect(signLeadBodyAt(body, SECRET, T)).toBe(
      't=1700000000,v1=675ca8300ebeca853e1744850bb9d875492f82b342b6be66855095df82b763f3',
    );
  });

  it('sends both headers: the SPEC body signature unchanged, and the timestamped one', () => {
    expect(signLeadRequest(body, SECRET, T * 1000)).toEqual({
      'X-Touchline-Signature': signLeadBody(body, SECRET),
      'X-Touchline-Timestamped-Signature': signLeadBodyAt(body, SECRET, T),
    });
    expect(signLeadBody(body, SECRET)).toBe(
      'sha256=714fc0a813b47f28f5275bbd4455208f3dcf127a5f8a805752f55f637324f98a',
    );
  });

  const captured = signLeadRequest(body, SECRET, T * 1000);

  it('a fresh request passes, within the tolerance either way', () => {
    expect(verifyLeadSignature(body, captured, SECRET, { now: at(T) })).toBe(true);
    expect(verifyLeadSignature(body, captured, SECRET, { now: at(T + 300) })).toBe(true);
    expect(verifyLeadSignature(body, captured, SECRET, { now: at(T - 300) })).toBe(true);
    expect(verifyLeadSignature(Buffer.from(body), captured, SECRET, { now: at(T + 20) })).toBe(
      true,
    );
  });

  it('the same request replayed after the tolerance fails', () => {
    expect(checkLeadSignature(body, captured, SECRET, { now: at(T + 301) })).toBe('expired');
    expect(checkLeadSignature(body, captured, SECRET, { now: at(T + 86_400) })).toBe('expired');
    expect(checkLeadSignature(body, captured, SECRET, { now: at(T - 301) })).toBe('expired');
    expect(
      verifyLeadSignature(body, captured, SECRET, { now: at(T + 30), toleranceSeconds: 10 }),
    ).toBe(false);
  });

  it('a tampered body, a moved timestamp or another key fails', () => {
    const now = at(T);
    expect(checkLeadSignature(`${body} `, captured, SECRET, { now })).toBe('mismatch');
    const moved = captured['X-Touchline-Timestamped-Signature']!.replace(`t=${T}`, `t=${T + 1}`);
    expect(
      checkLeadSignature(body, { 'x-touchline-timestamped-signature': moved }, SECRET, {
        now,
      }),
    ).toBe('mismatch');
    expect(checkLeadSignature(body, captured, 'other', { now })).toBe('mismatch');
  });

  it('reads Node, plain and fetch headers in any letter case', () => {
    const value = captured['X-Touchline-Timestamped-Signature']!;
    const now = at(T);
    expect(
      verifyLeadSignature(body, { 'x-touchline-timestamped-signature': value }, SECRET, { now }),
    ).toBe(true);
    expect(
      verifyLeadSignature(body, { 'x-touchline-timestamped-signature': [value] }, SECRET, { now }),
    ).toBe(true);
    expect(verifyLeadSignature(body, new Headers(captured), SECRET, { now })).toBe(true);
  });

  it('accepts any of several v1 (a key rotation), refuses malformed headers', () => {
    const now = at(T);
    const rotated = `t=${T},v1=${'0'.repeat(64)},v1=${signLeadBodyAt(body, SECRET, T).split('v1=')[1]}`;
    expect(
      verifyLeadSignature(body, { 'x-touchline-timestamped-signature': rotated }, SECRET, { now }),
    ).toBe(true);
    for (const bad of ['', 't=abc,v1=00', `v1=${'0'.repeat(64)}`, `t=${T}`, 'garbage']) {
      expect(
        checkLeadSignature(body, { 'x-touchline-timestamped-signature': bad }, SECRET, { now }),
        bad,
      ).toMatch(/missing|malformed/);
    }
  });

  it('the body-only header counts only with allowLegacy (it cannot tell a replay)', () => {
    const legacy = { 'x-touchline-signature': signLeadBody(body, SECRET) };
    expect(checkLeadSignature(body, legacy, SECRET)).toBe('missing');
    expect(verifyLeadSignature(body, legacy, SECRET, { allowLegacy: true })).toBe(true);
    expect(verifyLeadSignature(`${body} `, legacy, SECRET, { allowLegacy: true })).toBe(false);
    // A timestamped header that fails is not rescued by the legacy one.
    expect(
      verifyLeadSignature(body, captured, SECRET, { allowLegacy: true, now: at(T + 301) }),
    ).toBe(false);
  });
});
