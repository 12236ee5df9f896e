import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromKeyPart, keyPart, toJobId } from '../src/index.ts';

describe('keyPart and toJobId', () => {
  it('are injective and never contain a colon, whatever the identifier holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(keyPart(a)).not.toContain(':');
        expect(fromKeyPart(keyPart(a))).toBe(a);
        if (a !== b) {
          expect(keyPart(a)).not.toBe(keyPart(b));
          expect(toJobId('call', a)).not.toBe(toJobId('call', b));
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps an identifier apart from another one with a suffix (a key and its lock)', () => {
    fc.assert(
      fc.property(fc.string(), (id) => {
        // `<prefix>:order:<keyPart(id)>:lock` is never the key of another order.
        expect(`order:${keyPart(`${id}:lock`)}`).not.toBe(`order:${keyPart(id)}:lock`);
      }),
    );
  });

  it('keeps (id, n) pairs apart, n a whole number', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), fc.string(), fc.nat(), (a, m, b, n) => {
        if (a !== b || m !== n) expect(toJobId('order', a, m)).not.toBe(toJobId('order', b, n));
      }),
      { numRuns: 2_000 },
    );
  });

  it('shows the identifiers that used to collide as distinct ids', () => {
    const ids = ['x:1', 'x_1', 'x%3A1', 'x%253A1', 'x:lock'].map((id) => toJobId('call', id));
    expect(new Set(ids).size).toBe(5);
    expect(ids).toEqual([
      'call-x%3A1',
      'call-x_1',
      'call-x%253A1',
      'call-x%25253A1',
      'call-x%3Alock',
    ]);
  });
});
