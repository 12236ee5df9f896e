import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../src/index.ts';

describe('parseRetryAfter', () => {
  const now = new Date('2025-11-23T09:00:00Z');
  it('reads delta seconds', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter(['2', '9'], now)).toBe(2000);
  });
  it('reads an HTTP date, never below zero', () => {
    expect(parseRetryAfter('Sun, 23 Nov 2025 09:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 23 Nov 2025 08:00:00 GMT', now)).toBe(0);
  });
  it('answers undefined for nothing or nonsense', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
