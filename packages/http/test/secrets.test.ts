import { describe, expect, it } from 'vitest';
import { createAddressAllowList, createSecretCheck } from '../src/index.ts';

describe('createSecretCheck', () => {
  it('accepts the secret and nothing else, whatever the length or type', () => {
    const check = createSecretCheck('s3cret-value-0123');
    expect(check('s3cret-value-0123')).toBe(true);
    for (const wrong of ['', 's3cret-value-012', 's3cret-value-01234', 'x', undefined, 42, null])
      expect(check(wrong)).toBe(false);
  });
});

describe('createAddressAllowList', () => {
  const allowed = createAddressAllowList([
    { address: '85.94.49.0', prefix: 25, family: 'ipv4' },
    { address: '85.94.32.0', prefix: 24, family: 'ipv4' },
    { address: '2001:db8::', prefix: 32, family: 'ipv6' },
  ]);
  it('knows its blocks, in both notations of IPv4', () => {
    expect(allowed('85.94.49.7')).toBe(true);
    expect(allowed('85.94.49.127')).toBe(true);
    expect(allowed('85.94.49.128')).toBe(false);
    expect(allowed('::ffff:85.94.32.200')).toBe(true);
    expect(allowed('2001:db8::1')).toBe(true);
    expect(allowed('127.0.0.1')).toBe(false);
    expect(allowed('not an address')).toBe(false);
    expect(allowed(undefined)).toBe(false);
  });
});
