import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseSigningKeys, schemas } from '../src/index.ts';

const S1 = 'first-secret-0123456789abcdefghijk';
const S2 = 'second-secret-0123456789abcdefghij';

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.variable}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('RECORDINGS_SIGNING_KEY', () => {
  it('one plain secret is version v1', () => {
    expect(parseSigningKeys(` ${S1} `)).toEqual({
      currentVersion: 'v1',
      keys: new Map([['v1', S1]]),
    });
    // Commas are fine in a plain secret.
    expect(parseSigningKeys(`${S1},x`).keys.get('v1')).toBe(`${S1},x`);
  });

  it('versions, newest first: the first signs, every one verifies', () => {
    const keys = parseSigningKeys(`v2:${S2}, v1:${S1}`);
    expect(keys.currentVersion).toBe('v2');
    expect([...keys.keys]).toEqual([
      ['v2', S2],
      ['v1', S1],
    ]);
  });

  it.each([
    ['short', /at least 32/],
    [`v2:${S2},${S1}`, /entry 2: expected v<number>:<secret>/],
    [`v2:${S2},v2:${S1}`, /v2 appears twice/],
    [`v2:short,v1:${S1}`, /v2 is shorter than 32/],
    [`v2:${S2},x1:${S1}`, /entry 2/],
  ])('refuses %j without echoing a secret', (text, message) => {
    expect(() => parseSigningKeys(text)).toThrow(message);
    try {
      parseSigningKeys(text);
    } catch (err) {
      expect((err as Error).message).not.toContain(S1);
      expect((err as Error).message).not.toContain(S2);
    }
  });
});

describe('recordings in the role schemas', () => {
  const worker = {
    CALLTOUCH_SITE_ID: '1',
    CALLTOUCH_API_TOKEN: 't',
    CALLTOUCH_CALLS_MODE: 'lead-import',
  };
  const listener = { CRM_WEBHOOK_SECRET: 'crm-secret-0123456789' };

  it('are off by default, and need no key then', () => {
    const cfg = parseConfig(schemas.worker, worker);
    expect(cfg.RECORDINGS_PUBLIC_URL).toBeUndefined();
    const served = parseConfig(schemas.crmListener, listener);
    expect(served).toMatchObject({ RECORDINGS_MAX_STREAMS: 32 });
    expect(served.MCN_API_TOKEN).toBeUndefined();
  });

  it('the worker needs the key with the URL, and parses it', () => {
    expect(
      problems(() =>
        parseConfig(schemas.worker, { ...worker, RECORDINGS_PUBLIC_URL: 'https://t.example/' }),
      ),
    ).toEqual([
      'RECORDINGS_SIGNING_KEY: required when RECORDINGS_PUBLIC_URL is set (recording URLs are signed with it)',
    ]);
    const cfg = parseConfig(schemas.worker, {
      ...worker,
      RECORDINGS_PUBLIC_URL: 'https://t.example/',
      RECORDINGS_SIGNING_KEY: `v2:${S2},v1:${S1}`,
      RECORDINGS_URL_TTL: '720h',
    });
    expect(cfg.RECORDINGS_PUBLIC_URL).toBe('https://t.example');
    expect(cfg.RECORDINGS_SIGNING_KEY?.currentVersion).toBe('v2');
    expect(cfg.RECORDINGS_URL_TTL).toBe(720 * 3_600_000);
  });

  it('the listener needs the key and MCN credentials to serve, and never echoes the key', () => {
    const lines = problems(() =>
      parseConfig(schemas.crmListener, {
        ...listener,
        RECORDINGS_PUBLIC_URL: 'https://t.example',
        RECORDINGS_SIGNING_KEY: `v1:${S1.slice(0, 20)}`,
        RECORDINGS_MAX_STREAMS: '0',
      }),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        'MCN_ACCOUNT_ID: required when RECORDINGS_PUBLIC_URL is set (recordings are fetched from MCN)',
        'MCN_API_TOKEN: required when RECORDINGS_PUBLIC_URL is set (recordings are fetched from MCN)',
        'MCN_VPBX_ID: required when RECORDINGS_PUBLIC_URL is set (recordings are fetched from MCN)',
        'RECORDINGS_MAX_STREAMS: expected an integer from 1 to 4096 (got "0")',
        'RECORDINGS_SIGNING_KEY: the secret of v1 is shorter than 32 characters',
      ]),
    );
    expect(lines.join('\n')).not.toContain(S1.slice(0, 20));
    const cfg = parseConfig(schemas.crmListener, {
      ...listener,
      RECORDINGS_PUBLIC_URL: 'https://t.example',
      RECORDINGS_SIGNING_KEY: S1,
      MCN_API_TOKEN: 'mcn',
      MCN_ACCOUNT_ID: '1',
      MCN_VPBX_ID: '2',
    });
    expect(cfg).toMatchObject({ MCN_API_URL: 'https://api.mcn.ru/v2/rest', MCN_VPBX_ID: '2' });
  });

  it('all takes them too', () => {
    expect(schemas.all.shape).toHaveProperty('RECORDINGS_MAX_STREAMS');
    expect(schemas.all.shape).toHaveProperty('RECORDINGS_SIGNING_KEY');
  });
});
