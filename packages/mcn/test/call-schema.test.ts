import { describe, expect, it } from 'vitest';
import { mcnCallLogSample } from '@touchline/testing';
import { mcnCallSchema, parseCallLogItems } from '../src/index.ts';

const sample = mcnCallLogSample();

describe('mcnCallSchema', () => {
  it('accepts every record of the reference sample, keeping each field', () => {
    const { calls, invalid } = parseCallLogItems(sample.items);
    expect(invalid).toEqual([]);
    expect(calls.map((c) => [c.callid, c.type, c.status])).toEqual([
      ['116-1763888690.6016868', 'inb', 'ANSWERED'],
      ['116-1763889011.6017102', 'inb', 'NOANSWER'],
      ['116-1763889300.6017255', 'out', 'ANSWERED'],
      ['116-1763889420.6017301', 'int', 'BUSY'],
    ]);
    // did as a JSON number becomes the same digits as a string, without exponent or decimals.
    expect(calls[0]?.did).toBe('74951234567');
    expect(calls[1]?.did).toBe('74951234567');
    expect(calls[2]?.did).toBe('');
    expect(calls[1]?.answer_date).toBe('');
    expect(calls[0]?.waittime).toBe(12);
    expect(calls[2]?.dst_name).toBeUndefined();
    // Unknown fields pass through untouched.
    expect(calls[0]?.['events']).toHaveLength(2);
  });

  it('types numbers that arrive as strings and identifiers that arrive as numbers', () => {
    const call = mcnCallSchema.parse({
      callid: 1234.5,
      src_num: 79161234567,
      waittime: ' 12 ',
      talktime: '0',
      billsec: '',
      has_record: null,
      did: null,
    });
    expect(call).toMatchObject({
      callid: '1234.5',
      src_num: '79161234567',
      waittime: 12,
      talktime: 0,
    });
    expect(call.billsec).toBeUndefined();
    expect(call.has_record).toBeUndefined();
    expect(call.did).toBeUndefined();
  });

  it('keeps type and status as given: any case, with or without a space', () => {
    for (const [type, status] of [
      ['Inb', 'NO ANSWER'],
      ['INB', 'noanswer'],
      ['Out', 'LOST'],
      ['whatever', 'SOMETHING NEW'],
    ]) {
      expect(mcnCallSchema.parse({ callid: 'x', type, status })).toMatchObject({ type, status });
    }
  });

  it.each([
    [1, 1],
    [0, 0],
    ['1', 1],
    [' 0 ', 0],
    [true, 1],
    [false, 0],
    ['true', 1],
    ['FALSE', 0],
    ['', undefined],
    [null, undefined],
  ])('reads has_record %j as %j', (raw, expected) => {
    expect(mcnCallSchema.parse({ callid: 'r', has_record: raw }).has_record).toBe(expected);
  });

  it('refuses a has_record that is no flag', () => {
    expect(mcnCallSchema.safeParse({ callid: 'r', has_record: 'maybe' }).success).toBe(false);
  });

  it('needs only callid', () => {
    expect(mcnCallSchema.parse({ callid: 'only' })).toEqual({ callid: 'only' });
  });
});

describe('parseCallLogItems', () => {
  it('reports bad records with a readable reason and keeps the good ones', () => {
    const good = { callid: 'ok-1', type: 'inb' };
    const { calls, invalid } = parseCallLogItems([
      { type: 'inb', src_num: '79161234567' },
      good,
      'not a record',
      null,
      [1, 2],
      { callid: '   ' },
      { callid: 'bad-wait', waittime: 'n/a' },
      { callid: 'bad-date', date: { when: 'today' } },
      { callid: 'ok-2', events: 'not a list' },
    ]);
    expect(calls.map((c) => c.callid)).toEqual(['ok-1', 'ok-2']);
    expect(invalid.map((i) => i.reason)).toEqual([
      'callid: is required',
      'not an object',
      'not an object',
      'not an object',
      expect.stringMatching(/^callid: /),
      'waittime: must be a number or a numeric string',
      'date: must be a string or a number',
    ]);
    expect(invalid[0]?.record).toEqual({ type: 'inb', src_num: '79161234567' });
  });
});
