import { describe, expect, it } from 'vitest';
import { normalizePhone } from '../src/index.ts';

describe('normalizePhone', () => {
  it.each([
    ['79161234567', '79161234567'],
    ['89161234567', '79161234567'],
    ['+79161234567', '79161234567'],
    ['+7 (916) 123-45-67', '79161234567'],
    ['8 (916) 123-45-67', '79161234567'],
    ['8 (495) 123-45-67', '74951234567'],
    ['7 916 123 45 67', '79161234567'],
    ['9161234567', '79161234567'],
    ['  +7-916-123-45-67  ', '79161234567'],
    ['88001234567', '78001234567'],
    ['89161234567 доб. 12', '79161234567'],
    // Abroad: Russian international prefix 8 10, or a + form.
    ['8 10 49 30 1234567', '49301234567'],
    ['+380 44 123 4567', '380441234567'],
    // Kazakhstan shares +7.
    ['+7 700 123 4567', '77001234567'],
  ])('%j → %s', (raw, expected) => {
    expect(normalizePhone(raw)).toBe(expected);
  });

  it('accepts numbers as JSON numbers', () => {
    expect(normalizePhone(79161234567)).toBe('79161234567');
    expect(normalizePhone(89161234567)).toBe('79161234567');
    expect(normalizePhone(74951234567)).toBe('74951234567');
  });

  it.each([
    ['101'],
    ['1001'],
    [101],
    [''],
    ['   '],
    ['anonymous'],
    ['Unknown'],
    ['00380441234567'],
    ['79161234567890'],
    ['1234567'],
    [null],
    [undefined],
    [{}],
    [7.9161234567e10 + 0.5],
    [-79161234567],
  ])('%j → undefined (extension, garbage or impossible)', (raw) => {
    expect(normalizePhone(raw)).toBeUndefined();
  });

  it('reads national numbers in the given default country', () => {
    expect(normalizePhone('030 1234567', 'DE')).toBe('49301234567');
    expect(normalizePhone('030 1234567')).toBeUndefined();
  });
});
