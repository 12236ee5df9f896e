import { describe, expect, it } from 'vitest';
import { calltouchOrderCreateSchema, calltouchOrderUpdateSchema } from '@touchline/calltouch';
import {
  orderStateSchema,
  toCalltouchOrderCreate,
  toCalltouchOrderUpdate,
  toMatchingPhones,
  type OrderState,
} from '../src/index.ts';

const state = (extra: Partial<OrderState> = {}): OrderState => ({
  orderNumber: 'УникальныйIDсделки2',
  status: 'Запись',
  // 16:42:32 in Moscow.
  orderDate: '2021-07-19T13:42:32.000Z',
  statusDate: '2021-07-19T13:42:32.000Z',
  revenue: '1000.00',
  phones: ['79157771122', '+79009991122'],
  emails: ['name@server.com', '234234@test.com'],
  tags: ['Тег1', 'Тег2', 'Тег3'],
  seq: 1,
  created: false,
  applied: 0,
  ...extra,
});

describe('toCalltouchOrderCreate', () => {
  it('builds the seed example body', () => {
    const order = toCalltouchOrderCreate(state(), { timeZone: 'Europe/Moscow' });
    expect(order).toEqual({
      matching: [
        {
          type: 'callContact',
          callContactParams: {
            phones: ['79157771122', '79009991122'],
            date: '19-07-2021 16:42:32',
            callTypeToMatch: 'nearest',
            searchDepth: 259200,
          },
        },
        {
          type: 'requestContact',
          requestContactParams: {
            emails: ['name@server.com', '234234@test.com'],
            phones: ['79157771122', '79009991122'],
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
      addTags: [{ tag: 'Тег1' }, { tag: 'Тег2' }, { tag: 'Тег3' }],
    });
    expect(calltouchOrderCreateSchema.safeParse(order).success).toBe(true);
  });

  it('renders dates in the configured zone and honours matching options', () => {
    const order = toCalltouchOrderCreate(state({ phones: [], emails: [], comment: 'звонок' }), {
      timeZone: 'Asia/Novosibirsk',
      matching: { customSources: { source: 'crm', medium: 'offline', campaign: 'shop' } },
    });
    expect(order.orderDate).toBe('19-07-2021 20:42:32');
    expect(order.matching).toEqual([
      {
        type: 'customSources',
        customSourceParams: { source: 'crm', medium: 'offline', campaign: 'shop' },
      },
    ]);
    expect(order.comment).toEqual({ text: 'звонок' });
    const none = toCalltouchOrderCreate(state(), {
      timeZone: 'Europe/Moscow',
      matching: { callContact: false, requestContact: false, customSources: null },
    });
    expect(none.matching).toBeUndefined();
  });

  it('matches by emails alone when a deal has no usable phone', () => {
    const order = toCalltouchOrderCreate(state({ phones: ['101', 'n/a'] }), {
      timeZone: 'Europe/Moscow',
    });
    expect(order.matching?.map((m) => m.type)).toEqual(['requestContact', 'customSources']);
  });
});

describe('toCalltouchOrderUpdate', () => {
  it('sends the whole current state, the comment only when it is new', () => {
    const s = state({
      status: 'Оплачена',
      comment: 'оплачено',
      commentSent: 'старый',
      manager: 'Иван',
    });
    const update = toCalltouchOrderUpdate(s, { timeZone: 'Europe/Moscow' });
    expect(update).toEqual({
      orderNumber: 'УникальныйIDсделки2',
      status: 'Оплачена',
      statusDate: '19-07-2021 16:42:32',
      revenue: '1000.00',
      manager: 'Иван',
      addNewComment: { text: 'оплачено' },
      addTags: { overwrite: true, tags: [{ tag: 'Тег1' }, { tag: 'Тег2' }, { tag: 'Тег3' }] },
    });
    expect(calltouchOrderUpdateSchema.safeParse(update).success).toBe(true);
    const again = toCalltouchOrderUpdate(
      { ...s, commentSent: 'оплачено' },
      { timeZone: 'Europe/Moscow' },
    );
    expect(again.addNewComment).toBeUndefined();
  });
});

describe('toMatchingPhones', () => {
  it('normalises Russian forms to 7XXXXXXXXXX, de-duplicates, drops non-numbers', () => {
    expect(
      toMatchingPhones([
        '8 (915) 777-11-22',
        '+7 915 777 11 22',
        '9157771122',
        '101',
        'anonymous',
        '+44 20 7946 0958',
      ]),
    ).toEqual(['79157771122', '442079460958']);
  });
});

describe('orderStateSchema', () => {
  it('reads the hash the merge script writes', () => {
    const parsed = orderStateSchema.parse({
      orderNumber: '"42"',
      status: '"new"',
      orderDate: '"2024-01-01T00:00:00.000Z"',
      tags: '["a"]',
      seq: '3',
      created: '1',
      applied: '2',
    });
    expect(parsed).toMatchObject({
      orderNumber: '42',
      tags: ['a'],
      seq: 3,
      created: true,
      applied: 2,
    });
    expect(orderStateSchema.safeParse({}).success).toBe(false);
  });
});
