import { describe, expect, it } from 'vitest';
import {
  calltouchCallSchema,
  calltouchOrderCreateSchema,
  calltouchOrderUpdateSchema,
  toCalltouchDateTime,
  toCalltouchExportBound,
  toCalltouchOrderDateTime,
} from '../src/index.ts';

const call = {
  referenceId: 'r',
  clientPhoneNumber: '79991234567',
  callCenterPhoneNumber: '74950000000',
  callStartTime: '2026-02-28 23:59:59',
  waitingTime: 0,
  duration: 0,
  status: 'missed',
};

describe('payload schemas', () => {
  it('accepts a documented call and refuses each broken field', () => {
    expect(calltouchCallSchema.safeParse(call).success).toBe(true);
    for (const broken of [
      { referenceId: '' },
      { referenceId: 'x'.repeat(101) },
      { clientPhoneNumber: '+7 999 123-45-67' },
      { callCenterPhoneNumber: '' },
      { callStartTime: '2026-02-29 10:00:00' },
      { callStartTime: '24-11-2026 10:00:00' },
      { duration: 1.5 },
      { status: 'ANSWERED' },
      { manager: 'x'.repeat(51) },
      { recordUrl: '' },
      { recordUrl: 'not a url' },
      { recordUrl: 'ftp://touchline.example/v1/recordings/r.mp3' },
      { recordUrl: 'javascript:alert(1)' },
      { extra: 1 },
    ]) {
      expect(
        calltouchCallSchema.safeParse({ ...call, ...broken }).success,
        JSON.stringify(broken),
      ).toBe(false);
    }
  });

  it('takes a recording URL, http or https, signature and all', () => {
    for (const recordUrl of [
      'https://touchline.example.com/v1/recordings/116-1763888690.6016868.mp3?sig=v1.abc-_',
      'http://127.0.0.1:8080/v1/recordings/a~2Fb.mp3?sig=v2.x&exp=1790000000',
    ]) {
      expect(calltouchCallSchema.parse({ ...call, recordUrl })).toMatchObject({ recordUrl });
    }
  });

  it('checks order dates and money', () => {
    const order = {
      orderNumber: '1',
      status: 'Запись',
      orderDate: '19-07-2021 16:42:32',
      revenue: '1000.00',
    };
    expect(calltouchOrderCreateSchema.safeParse(order).success).toBe(true);
    expect(
      calltouchOrderCreateSchema.safeParse({ ...order, orderDate: '2021-07-19 16:42:32' }).success,
    ).toBe(false);
    expect(calltouchOrderCreateSchema.safeParse({ ...order, revenue: '1 000' }).success).toBe(
      false,
    );
    expect(
      calltouchOrderUpdateSchema.safeParse({
        orderNumber: '1',
        addTags: { overwrite: false, tags: [{ tag: 'a' }] },
      }).success,
    ).toBe(true);
    expect(calltouchOrderUpdateSchema.safeParse({ orderNumber: '' }).success).toBe(false);
  });

  it('the seed example order passes as is', () => {
    const seed = {
      matching: [
        {
          type: 'callContact',
          callContactParams: {
            phones: ['79157771122', '+79009991122'],
            date: '19-07-2021 16:42:32',
            callTypeToMatch: 'nearest',
            searchDepth: 259200,
          },
        },
        {
          type: 'requestContact',
          requestContactParams: {
            emails: ['name@server.com'],
            phones: ['79157771122'],
            date: '19-07-2021 16:42:32',
            requestTypeToMatch: 'nearest',
            searchDepth: 259200,
          },
        },
        {
          type: 'customSources',
          customSourceParams: {
            source: 'офлайн-визит',
            medium: 'офлайн-визит',
            campaign: 'офлайн-визит',
          },
        },
      ],
      orderNumber: 'УникальныйIDсделки2',
      status: 'Запись',
      statusDate: '19-07-2021 16:42:32',
      orderDate: '19-07-2021 16:42:32',
      revenue: '1000.00',
      addTags: [{ tag: 'Тег1' }, { tag: 'Тег2' }],
    };
    expect(calltouchOrderCreateSchema.safeParse(seed).error?.issues).toBeUndefined();
  });

  it('formats instants in the account time zone', () => {
    const at = Date.parse('2026-11-24T21:30:05Z');
    expect(toCalltouchDateTime(at, 'Europe/Moscow')).toBe('2026-11-25 00:30:05');
    expect(toCalltouchOrderDateTime(at, 'Europe/Moscow')).toBe('25-11-2026 00:30:05');
    expect(toCalltouchExportBound(at, 'Europe/Moscow')).toEqual({
      date: '11/25/2026',
      time: '00:30:05',
    });
  });
});
