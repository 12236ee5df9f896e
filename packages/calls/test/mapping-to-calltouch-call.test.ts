import { mcnCallSchema, type McnCall } from '@touchline/mcn';
import {
  createRecordingLinker,
  parseRecordingName,
  verifyRecordingSignature,
} from '@touchline/recordings';
import { calltouchCallSchema } from '@touchline/calltouch';
import { mcnCallLogSample } from '@touchline/testing';
import { describe, expect, it } from 'vitest';
import { toCalltouchCall, type ToCalltouchCallOptions } from '../src/mapping/index.ts';

const sample = mcnCallLogSample().items.map((item) => mcnCallSchema.parse(item));

const MSK: ToCalltouchCallOptions = {
  mcnTimeZone: 'Europe/Moscow',
  calltouchTimeZone: 'Europe/Moscow',
};

/** An answered inbound call like the sample's first, with `patch` applied (raw, then parsed). */
function call(patch: Record<string, unknown> = {}): McnCall {
  return mcnCallSchema.parse({
    callid: '116-1763888690.6016868',
    type: 'inb',
    status: 'ANSWERED',
    date: '2025-11-23 12:04:50',
    answer_date: '2025-11-23 12:05:02',
    end_date: '2025-11-23 12:08:41',
    waittime: 12,
    talktime: 219,
    billsec: 219,
    src_num: '79161234567',
    dst_num: '101',
    dst_name: 'Reception 1',
    did: 74951234567,
    did_num: 74951234567,
    ...patch,
  });
}

describe('toCalltouchCall on the reference sample', () => {
  it('maps the answered inbound call', () => {
    expect(toCalltouchCall(sample[0]!, MSK)).toEqual({
      kind: 'call',
      call: {
        referenceId: '116-1763888690.6016868',
        clientPhoneNumber: '79161234567',
        callCenterPhoneNumber: '74951234567',
        callStartTime: '2025-11-23 12:04:50',
        waitingTime: 12,
        duration: 231,
        status: 'successful',
        manager: 'Reception 1',
      },
    });
  });

  it('maps the unanswered one: 8-prefixed caller, did as a string, NOANSWER → missed, no manager', () => {
    expect(toCalltouchCall(sample[1]!, MSK)).toEqual({
      kind: 'call',
      call: {
        referenceId: '116-1763889011.6017102',
        clientPhoneNumber: '79031112233',
        callCenterPhoneNumber: '74951234567',
        callStartTime: '2025-11-23 12:10:11',
        waitingTime: 35,
        duration: 35,
        status: 'missed',
      },
    });
  });

  it('skips outbound and internal calls by type', () => {
    expect(toCalltouchCall(sample[2]!, MSK)).toEqual({ kind: 'skipped', reason: 'type:out' });
    expect(toCalltouchCall(sample[3]!, MSK)).toEqual({ kind: 'skipped', reason: 'type:int' });
  });

  it('imports other types when asked, and then judges them on their numbers', () => {
    const out = toCalltouchCall(sample[2]!, { ...MSK, importTypes: ['inb', 'OUT'] });
    expect(out).toMatchObject({ kind: 'rejected', reason: 'no caller number' });
  });
});

describe('toCalltouchCall: types and statuses as real data spells them', () => {
  it.each(['inb', 'Inb', 'INB', ' inb '])('type %j is inbound', (type) => {
    expect(toCalltouchCall(call({ type }), MSK).kind).toBe('call');
  });

  it.each([
    ['Out', 'type:out'],
    ['int', 'type:int'],
    [undefined, 'type:none'],
    ['', 'type:none'],
  ])('type %j → skipped %s', (type, reason) => {
    expect(toCalltouchCall(call({ type }), MSK)).toEqual({ kind: 'skipped', reason });
  });

  it.each([
    ['ANSWERED', 'successful'],
    ['answered', 'successful'],
    ['NOANSWER', 'missed'],
    ['NO ANSWER', 'missed'],
    ['BUSY', 'missed'],
    ['LOST', 'missed'],
    ['FAILED', 'missed'],
    ['CONGESTION', 'missed'],
    [undefined, 'missed'],
  ])('status %j → %s', (status, expected) => {
    const result = toCalltouchCall(call({ status }), MSK);
    expect(result.kind === 'call' && result.call.status).toBe(expected);
  });

  it('names a manager only for answered calls with a non-empty dst_name', () => {
    const manager = (patch: Record<string, unknown>) => {
      const r = toCalltouchCall(call(patch), MSK);
      return r.kind === 'call' ? r.call : undefined;
    };
    expect(manager({})?.manager).toBe('Reception 1');
    expect(manager({ dst_name: '  Ivanova  ' })?.manager).toBe('Ivanova');
    expect(manager({ dst_name: null })).not.toHaveProperty('manager');
    expect(manager({ dst_name: '  ' })).not.toHaveProperty('manager');
    expect(manager({ status: 'BUSY' })).not.toHaveProperty('manager');
  });
});

describe('toCalltouchCall: numbers', () => {
  it.each([
    ['+7 (916) 123-45-67', '79161234567'],
    ['8 (495) 123-45-67', '74951234567'],
    [89161234567, '79161234567'],
  ])('caller %j → %s', (src_num, expected) => {
    const r = toCalltouchCall(call({ src_num }), MSK);
    expect(r.kind === 'call' && r.call.clientPhoneNumber).toBe(expected);
  });

  it('falls back to did_num when did is empty, and normalises it', () => {
    const r = toCalltouchCall(call({ did: '', did_num: '8 (495) 765-43-21' }), MSK);
    expect(r.kind === 'call' && r.call.callCenterPhoneNumber).toBe('74957654321');
  });

  it.each([
    [{ src_num: '' }, 'no caller number', 'src_num=""'],
    [{ src_num: undefined }, 'no caller number', 'src_num=absent'],
    [{ src_num: 'anonymous' }, 'no caller number', 'src_num="anonymous"'],
    [{ src_num: '101' }, 'no caller number', 'src_num="101"'],
    [{ did: '', did_num: '' }, 'no called number', 'did="", did_num=""'],
    [{ did: undefined, did_num: undefined }, 'no called number', 'did=absent, did_num=absent'],
    [{ did: '200', did_num: '' }, 'no called number', 'did="200", did_num=""'],
  ])('%j → rejected %s', (patch, reason, detail) => {
    expect(toCalltouchCall(call(patch), MSK)).toEqual({ kind: 'rejected', reason, detail });
  });

  it('rejects a callid Calltouch would refuse', () => {
    expect(toCalltouchCall(call({ callid: 'x'.repeat(101) }), MSK)).toMatchObject({
      kind: 'rejected',
      reason: 'callid too long',
    });
    expect(toCalltouchCall(call({ callid: 'x'.repeat(100) }), MSK).kind).toBe('call');
  });
});

describe('toCalltouchCall: durations', () => {
  const durations = (patch: Record<string, unknown>) => {
    const r = toCalltouchCall(call(patch), MSK);
    return r.kind === 'call' ? [r.call.waitingTime, r.call.duration] : r;
  };

  it('duration is waiting plus talking, numeric strings included', () => {
    expect(durations({ waittime: '7', talktime: '100' })).toEqual([7, 107]);
    expect(durations({ waittime: 0, talktime: 0 })).toEqual([0, 0]);
  });

  it('derives missing counts from the times, then from billsec, else 0', () => {
    // waittime from date → answer_date (12 s), talktime from billsec.
    expect(durations({ waittime: undefined, talktime: undefined })).toEqual([12, 231]);
    // talktime from answer_date → end_date (219 s) when billsec is absent too.
    expect(durations({ waittime: undefined, talktime: undefined, billsec: undefined })).toEqual([
      12, 231,
    ]);
    // Unanswered: waiting lasts until the end.
    expect(
      durations({
        status: 'NOANSWER',
        answer_date: '',
        waittime: undefined,
        talktime: undefined,
        billsec: undefined,
      }),
    ).toEqual([231, 231]);
    expect(
      durations({
        waittime: undefined,
        talktime: undefined,
        billsec: undefined,
        answer_date: '',
        end_date: '',
      }),
    ).toEqual([0, 0]);
  });

  it('never sends negative or fractional seconds', () => {
    expect(durations({ waittime: -3, talktime: 10.6 })).toEqual([0, 11]);
  });
});

describe('toCalltouchCall: time zones', () => {
  const start = (date: unknown, options: ToCalltouchCallOptions) => {
    const r = toCalltouchCall(call({ date }), options);
    return r.kind === 'call' ? r.call.callStartTime : r;
  };

  it('keeps the wall clock when both zones are the same', () => {
    expect(start('2025-11-23 12:04:50', MSK)).toBe('2025-11-23 12:04:50');
    expect(start('2025-06-01 00:00:00', { mcnTimeZone: 'UTC', calltouchTimeZone: 'UTC' })).toBe(
      '2025-06-01 00:00:00',
    );
  });

  it('shifts Moscow → Yekaterinburg by +2 h, across midnight and the year', () => {
    const ekb = { mcnTimeZone: 'Europe/Moscow', calltouchTimeZone: 'Asia/Yekaterinburg' };
    expect(start('2025-11-23 12:04:50', ekb)).toBe('2025-11-23 14:04:50');
    expect(start('2025-11-23 23:30:00', ekb)).toBe('2025-11-24 01:30:00');
    expect(start('2025-12-31 22:59:59', ekb)).toBe('2026-01-01 00:59:59');
  });

  it('shifts Moscow → Kaliningrad by -1 h, back across midnight', () => {
    const kgd = { mcnTimeZone: 'Europe/Moscow', calltouchTimeZone: 'Europe/Kaliningrad' };
    expect(start('2025-11-24 00:30:00', kgd)).toBe('2025-11-23 23:30:00');
    expect(start('2025-03-01 00:00:00', kgd)).toBe('2025-02-28 23:00:00');
  });

  it('follows daylight saving when a zone has it', () => {
    const berlin = { mcnTimeZone: 'Europe/Berlin', calltouchTimeZone: 'Europe/Moscow' };
    expect(start('2025-01-15 10:00:00', berlin)).toBe('2025-01-15 12:00:00');
    expect(start('2025-07-15 10:00:00', berlin)).toBe('2025-07-15 11:00:00');
  });

  it('honours an explicit offset if the API ever sends one', () => {
    expect(start('2025-11-23 09:04:50+00:00', MSK)).toBe('2025-11-23 12:04:50');
  });

  it.each(['', 'garbage', '2025-13-40 25:61:00', '2025-11-23', '23.11.2025 12:04:50', undefined])(
    'date %j → rejected bad date',
    (date) => {
      expect(start(date, MSK)).toMatchObject({ kind: 'rejected', reason: 'bad date' });
    },
  );

  it('throws for an unknown zone: configuration, not data', () => {
    expect(() =>
      toCalltouchCall(call(), { mcnTimeZone: 'Mars/Olympus', calltouchTimeZone: 'UTC' }),
    ).toThrow(RangeError);
  });
});

describe('toCalltouchCall: recordings', () => {
  const keys = {
    currentVersion: 'v1',
    keys: new Map([['v1', 'mapping-test-key-0123456789abcdef']]),
  };
  const recordings = createRecordingLinker('https://touchline.example/', keys);
  const WITH = { ...MSK, recordings };
  const recordUrl = (patch: Record<string, unknown>, options: ToCalltouchCallOptions = WITH) => {
    const mapped = toCalltouchCall(call(patch), options);
    return mapped.kind === 'call' ? mapped.call.recordUrl : `not a call: ${mapped.kind}`;
  };

  it.each([1, '1', true, 'true'])('links an answered call with has_record %j', (has_record) => {
    const url = recordUrl({ has_record });
    expect(url).toMatch(
      /^https:\/\/touchline\.example\/v1\/recordings\/116-1763888690\.6016868\.mp3\?sig=v1\./,
    );
    const parsed = new URL(url!);
    const callid = parseRecordingName(parsed.pathname.split('/').pop()!);
    expect(callid).toBe('116-1763888690.6016868');
    expect(
      verifyRecordingSignature(callid!, Object.fromEntries(parsed.searchParams), keys),
    ).toEqual({ ok: true });
  });

  it.each([0, '0', false, '', null, undefined])('no recordUrl with has_record %j', (has_record) => {
    expect(recordUrl({ has_record })).toBeUndefined();
  });

  it.each(['NOANSWER', 'NO ANSWER', 'BUSY', 'LOST', 'FAILED'])(
    'no recordUrl for a %s call, even with has_record',
    (status) => {
      expect(recordUrl({ status, answer_date: '', talktime: 0, has_record: 1 })).toBeUndefined();
    },
  );

  it('no recordUrl when recordings are off', () => {
    expect(recordUrl({ has_record: 1 }, MSK)).toBeUndefined();
  });

  it('the reference sample: only its recorded answered inbound call is linked', () => {
    const linked = sample.map((c) => {
      const mapped = toCalltouchCall(c, { ...WITH, importTypes: ['inb', 'out', 'int'] });
      return mapped.kind === 'call' ? mapped.call.recordUrl !== undefined : mapped.kind;
    });
    expect(linked[0]).toBe(true);
    expect(linked[1]).toBe(false);
  });

  it('keeps the mapped call valid for Calltouch', () => {
    const mapped = toCalltouchCall(call({ callid: 'a/b?c%d', has_record: 1 }), WITH);
    expect(mapped.kind).toBe('call');
    if (mapped.kind === 'call') expect(calltouchCallSchema.parse(mapped.call)).toEqual(mapped.call);
  });
});
