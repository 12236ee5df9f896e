import { describe, expect, it } from 'vitest';
import {
  decodeCallid,
  encodeCallid,
  parseRecordingName,
  recordingName,
} from '../src/recording-name.ts';

const CALLIDS = [
  '116-1763888690.6016868',
  '12-1520008586.19367271',
  'a/b/../c',
  '../../etc/passwd',
  '.',
  '..',
  'what?sig=v1.x&exp=1',
  '100%25 %2F',
  'spaces and\ttabs\nnewlines',
  'hash#frag',
  'tilde~7E~',
  'Звонок №5',
  '通話🎧',
  'a+b=c;d,e@f:g',
  '\u0000nul',
];

describe('recording names', () => {
  it.each(CALLIDS)('round-trips %j through a URL path segment', (callid) => {
    const name = recordingName(callid);
    expect(name).toMatch(/^[A-Za-z0-9._~-]+\.mp3$/);
    expect(parseRecordingName(name)).toBe(callid);
    // What a client and a router do with the path keeps it intact.
    const url = new URL(`https://touchline.example/v1/recordings/${name}?sig=x`);
    expect(url.pathname).toBe(`/v1/recordings/${name}`);
    expect(parseRecordingName(decodeURIComponent(url.pathname.split('/').pop()!))).toBe(callid);
  });

  it('leaves ordinary MCN callids readable', () => {
    expect(recordingName('116-1763888690.6016868')).toBe('116-1763888690.6016868.mp3');
    expect(encodeCallid('a/b?c%d')).toBe('a~2Fb~3Fc~25d');
    expect(encodeCallid('ё')).toBe('~D1~91');
  });

  it('refuses what it would not have written: one name per callid', () => {
    for (const bad of ['', '~41', '~2f', '~', '~4', 'a b', 'a%2Fb', '~FF', '~C3', 'ok~ZZ']) {
      expect(decodeCallid(bad)).toBeUndefined();
    }
    expect(parseRecordingName('116-1.2')).toBeUndefined();
    expect(parseRecordingName('.mp3')).toBeUndefined();
    expect(parseRecordingName('116-1.2.MP3')).toBeUndefined();
  });

  it('cannot name an empty callid or one with a lone surrogate', () => {
    expect(() => encodeCallid('')).toThrow(RangeError);
    expect(() => encodeCallid('x\uD800y')).toThrow(RangeError);
  });
});
