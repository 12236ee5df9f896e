import { describe, expect, it } from 'vitest';
import {
  createRecordingLinker,
  recordingUrl,
  verifyRecordingSignature,
  type SigningKeys,
} from '../src/signature.ts';
import { parseRecordingName } from '../src/recording-name.ts';

const V1 = 'v1-secret-0123456789abcdef0123456789';
const V2 = 'v2-secret-fedcba9876543210fedcba9876';
const keys: SigningKeys = { currentVersion: 'v1', keys: new Map([['v1', V1]]) };
const rotated: SigningKeys = {
  currentVersion: 'v2',
  keys: new Map([
    ['v2', V2],
    ['v1', V1],
  ]),
};
const BASE = 'https://touchline.example.com/';

/** The callid and query of a recording URL, as the route sees them. */
function request(url: string) {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice('/v1/recordings/'.length));
  return {
    path: parsed.pathname,
    callid: parseRecordingName(name)!,
    query: Object.fromEntries(parsed.searchParams) as { sig?: string; exp?: string },
  };
}

describe('recordingUrl', () => {
  it('is {base}/v1/recordings/<name>.mp3?sig=<version>.<base64url hmac>', () => {
    const url = recordingUrl(BASE, '116-1763888690.6016868', keys);
    expect(url).toMatch(
      /^https:\/\/touchline\.example\.com\/v1\/recordings\/116-1763888690\.6016868\.mp3\?sig=v1\.[A-Za-z0-9_-]{43}$/,
    );
    expect(recordingUrl(BASE, '116-1763888690.6016868', keys)).toBe(url); // deterministic
    expect(url).not.toContain(V1);
  });

  it('verifies for exactly the callid it names, whatever its characters', () => {
    for (const callid of ['116-1.2', 'a/b?c', '%2F', 'Звонок', '..']) {
      const r = request(recordingUrl(BASE, callid, keys));
      expect(r.callid).toBe(callid);
      expect(verifyRecordingSignature(r.callid, r.query, keys)).toEqual({ ok: true });
      expect(verifyRecordingSignature(`${callid}x`, r.query, keys)).toEqual({
        ok: false,
        problem: 'bad_signature',
      });
    }
  });

  it('refuses a missing, malformed or tampered signature', () => {
    const { callid, query } = request(recordingUrl(BASE, 'c-1', keys));
    const sig = query.sig!;
    const check = (q: { sig?: unknown; exp?: unknown }) =>
      verifyRecordingSignature(callid, q, keys);
    expect(check({})).toEqual({ ok: false, problem: 'missing' });
    expect(check({ sig: '' })).toEqual({ ok: false, problem: 'missing' });
    expect(check({ sig: [sig, sig] })).toEqual({ ok: false, problem: 'malformed' });
    expect(check({ sig: sig.slice(0, -1) })).toEqual({ ok: false, problem: 'malformed' });
    expect(check({ sig: sig.replace('v1.', '') })).toEqual({ ok: false, problem: 'malformed' });
    // Every single-character change of the MAC fails, the last character's spare bits too.
    const mac = sig.slice(3);
    for (let i = 0; i < mac.length; i++) {
      for (const c of ['A', 'B', 'Q', 'g', '_', '-', '0']) {
        if (mac[i] === c) continue;
        const tampered = `v1.${mac.slice(0, i)}${c}${mac.slice(i + 1)}`;
        expect(check({ sig: tampered })).toEqual({ ok: false, problem: 'bad_signature' });
      }
    }
  });

  it('rotating the key: new URLs use the new version, old ones verify until v1 is removed', () => {
    const old = request(recordingUrl(BASE, 'c-1', keys));
    const fresh = request(recordingUrl(BASE, 'c-1', rotated));
    expect(fresh.query.sig).toMatch(/^v2\./);
    expect(verifyRecordingSignature('c-1', old.query, rotated)).toEqual({ ok: true });
    expect(verifyRecordingSignature('c-1', fresh.query, rotated)).toEqual({ ok: true });
    const onlyV2 = { keys: new Map([['v2', V2]]) };
    expect(verifyRecordingSignature('c-1', old.query, onlyV2)).toEqual({
      ok: false,
      problem: 'unknown_key',
    });
    // A version is not a key: the same MAC under another label fails.
    const relabelled = { sig: old.query.sig!.replace(/^v1/, 'v2') };
    expect(verifyRecordingSignature('c-1', relabelled, rotated)).toEqual({
      ok: false,
      problem: 'bad_signature',
    });
  });

  it('expires when asked to, and the expiry cannot be changed', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const url = recordingUrl(BASE, 'c-1', { ...keys, expiresAt: at });
    const { query } = request(url);
    expect(query.exp).toBe(String(at.getTime() / 1000));
    const before = new Date(at.getTime() - 1000);
    expect(verifyRecordingSignature('c-1', query, keys, before)).toEqual({ ok: true });
    expect(verifyRecordingSignature('c-1', query, keys, at)).toEqual({
      ok: false,
      problem: 'expired',
    });
    const extended = { ...query, exp: String(Number(query.exp) + 86_400) };
    expect(verifyRecordingSignature('c-1', extended, keys, before)).toEqual({
      ok: false,
      problem: 'bad_signature',
    });
    const dropped = { sig: query.sig };
    expect(verifyRecordingSignature('c-1', dropped, keys, before)).toEqual({
      ok: false,
      problem: 'bad_signature',
    });
    expect(verifyRecordingSignature('c-1', { ...query, exp: '-1' }, keys, before)).toEqual({
      ok: false,
      problem: 'malformed',
    });
  });
});

describe('createRecordingLinker', () => {
  it('signs with the current key, without expiry unless a ttl is given', () => {
    const linker = createRecordingLinker(BASE, rotated);
    const url = linker.urlFor('c-1')!;
    const { query } = request(url);
    expect(Object.keys(query)).toEqual(['sig']);
    expect(query.sig).toMatch(/^v2\./);
    const clock = new Date('2026-03-01T10:00:00Z');
    const ttl = createRecordingLinker(BASE, rotated, { ttlMs: 3_600_000, now: () => clock });
    expect(request(ttl.urlFor('c-1')!).query.exp).toBe(String(clock.getTime() / 1000 + 3600));
  });

  it('answers undefined for a callid no URL can name', () => {
    expect(createRecordingLinker(BASE, keys).urlFor('x\uDC00')).toBeUndefined();
  });

  it('refuses keys that cannot sign', () => {
    expect(() =>
      createRecordingLinker(BASE, { currentVersion: 'v3', keys: new Map([['v1', V1]]) }),
    ).toThrow(RangeError);
    expect(() =>
      createRecordingLinker(BASE, { currentVersion: 'v1', keys: new Map([['v1', 'short']]) }),
    ).toThrow(RangeError);
  });
});
