import { describe, expect, it } from 'vitest';
import {
  formatRange,
  parseContentRange,
  parseRangeHeader,
  parseUnsatisfiedRange,
  resolveRange,
} from '../src/range.ts';
import { planResponse } from '../src/response-plan.ts';

describe('Range', () => {
  it('reads single byte ranges and ignores everything else', () => {
    expect(parseRangeHeader('bytes=100-199')).toEqual({ start: 100, end: 199 });
    expect(parseRangeHeader('bytes=100-')).toEqual({ start: 100 });
    expect(parseRangeHeader('bytes=-500')).toEqual({ suffix: 500 });
    expect(parseRangeHeader(' BYTES=0-0 ')).toEqual({ start: 0, end: 0 });
    for (const ignored of [
      undefined,
      '',
      'bytes=-',
      'bytes=5-1',
      'bytes=0-1,5-6',
      'items=0-1',
      'bytes=a-b',
      'bytes=9999999999999999-',
      ['bytes=0-1'],
    ]) {
      expect(parseRangeHeader(ignored)).toBeUndefined();
    }
  });

  it('writes the header MCN receives', () => {
    expect(formatRange({ start: 100, end: 199 })).toBe('bytes=100-199');
    expect(formatRange({ start: 100 })).toBe('bytes=100-');
    expect(formatRange({ suffix: 5 })).toBe('bytes=-5');
  });

  it('resolves against a size', () => {
    expect(resolveRange({ start: 100, end: 199 }, 1000)).toEqual({ start: 100, end: 199 });
    expect(resolveRange({ start: 900, end: 5000 }, 1000)).toEqual({ start: 900, end: 999 });
    expect(resolveRange({ start: 900 }, 1000)).toEqual({ start: 900, end: 999 });
    expect(resolveRange({ suffix: 10 }, 1000)).toEqual({ start: 990, end: 999 });
    expect(resolveRange({ suffix: 5000 }, 1000)).toEqual({ start: 0, end: 999 });
    expect(resolveRange({ start: 1000 }, 1000)).toBe('unsatisfiable');
    expect(resolveRange({ suffix: 0 }, 1000)).toBe('unsatisfiable');
    expect(resolveRange({ suffix: 5 }, 0)).toBe('unsatisfiable');
  });

  it('reads Content-Range', () => {
    expect(parseContentRange('bytes 100-199/4224')).toEqual({ start: 100, end: 199, size: 4224 });
    expect(parseContentRange('bytes 0-0/*')).toEqual({ start: 0, end: 0, size: undefined });
    expect(parseContentRange('bytes 5-1/10')).toBeUndefined();
    expect(parseContentRange('bytes 5-10/10')).toBeUndefined();
    expect(parseContentRange(undefined)).toBeUndefined();
    expect(parseUnsatisfiedRange('bytes */4224')).toBe(4224);
    expect(parseUnsatisfiedRange('bytes */*')).toBeUndefined();
  });
});

describe('planResponse', () => {
  const whole = (size?: number) =>
    ({ status: 200, contentLength: size, contentRange: undefined }) as const;
  const part = (range: string, length?: number) =>
    ({ status: 206, contentLength: length, contentRange: range }) as const;

  it('passes a whole file and a 206 through', () => {
    expect(planResponse(whole(4224), undefined, false)).toEqual({
      kind: 'send',
      status: 200,
      contentLength: 4224,
    });
    expect(planResponse(whole(undefined), undefined, false)).toEqual({
      kind: 'send',
      status: 200,
      contentLength: undefined,
    });
    expect(planResponse(part('bytes 100-199/4224', 100), { start: 100, end: 199 }, false)).toEqual({
      kind: 'send',
      status: 206,
      contentLength: 100,
      contentRange: 'bytes 100-199/4224',
    });
  });

  it('slices a whole file when MCN ignored the range', () => {
    expect(planResponse(whole(4224), { start: 100, end: 199 }, false)).toEqual({
      kind: 'send',
      status: 206,
      contentLength: 100,
      contentRange: 'bytes 100-199/4224',
      window: { skip: 100, take: 100 },
    });
    expect(planResponse(whole(4224), { suffix: 24 }, false)).toMatchObject({
      contentRange: 'bytes 4200-4223/4224',
      window: { skip: 4200, take: 24 },
    });
    expect(planResponse(whole(4224), { start: 4224 }, false)).toEqual({
      kind: 'unsatisfiable',
      size: 4224,
    });
    // Without a size there is nothing to slice against: the whole file, 200.
    expect(planResponse(whole(undefined), { start: 100 }, false)).toMatchObject({ status: 200 });
  });

  it('turns the HEAD probe into the size of the whole file', () => {
    expect(planResponse(part('bytes 0-0/4224', 1), undefined, true)).toEqual({
      kind: 'send',
      status: 200,
      contentLength: 4224,
    });
    expect(planResponse(whole(4224), undefined, true)).toMatchObject({ contentLength: 4224 });
  });

  it('refuses a 206 it cannot trust', () => {
    expect(planResponse(part('bytes 0-9/10', 10), undefined, false).kind).toBe('bad_upstream');
    expect(planResponse(part('garbage', 10), { start: 0 }, false).kind).toBe('bad_upstream');
    expect(planResponse(part('bytes 0-9/10', 11), { start: 0 }, false).kind).toBe('bad_upstream');
  });
});
