import { describe, expect, it } from 'vitest';
import { parseDealsBody, parseIsoInstant, toDealWrite, type CrmDeal } from '../src/index.ts';

describe('parseDealsBody', () => {
  it('accepts one deal or an envelope, coercing orderNumber and revenue to strings', () => {
    const one = parseDealsBody({
      orderNumber: 17,
      status: 'new',
      orderDate: '2024-05-01',
      revenue: 12.5,
      phones: [79161234567],
    });
    expect(one).toEqual({
      ok: true,
      deals: [
        expect.objectContaining({ orderNumber: '17', revenue: '12.5', phones: ['79161234567'] }),
      ],
    });
    const many = parseDealsBody({
      orders: [{ orderNumber: 'a', status: 's', orderDate: '2024-05-01T10:00:00Z', extra: 1 }],
    });
    expect(many.ok && many.deals[0]).toEqual(expect.objectContaining({ orderNumber: 'a' }));
    expect(many.ok && 'extra' in (many.deals[0] ?? {})).toBe(false);
  });

  it('reads null optional fields as absent', () => {
    const parsed = parseDealsBody({
      orderNumber: 'a',
      status: 's',
      orderDate: '2024-05-01',
      revenue: null,
      tags: null,
    });
    expect(parsed.ok && parsed.deals[0]?.revenue).toBeUndefined();
  });

  it('names every problem with its path', () => {
    const parsed = parseDealsBody({
      orders: [
        { orderNumber: 'a', status: 's', orderDate: '2024-05-01' },
        { orderNumber: 1.5, status: '', orderDate: '2024-13-01', emails: ['x'], tags: [''] },
        'nonsense',
      ],
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.dealCount).toBe(3);
    expect(parsed.issues.map((i) => i.path)).toEqual([
      'orders.1.orderNumber',
      'orders.1.status',
      'orders.1.orderDate',
      'orders.1.emails.0',
      'orders.1.tags.0',
      'orders.2',
    ]);
  });

  it('refuses bodies that are not objects', () => {
    expect(parseDealsBody([1, 2]).ok).toBe(false);
    expect(parseDealsBody('x').ok).toBe(false);
    expect(parseDealsBody({ orders: 'x' }).ok).toBe(false);
  });
});

describe('parseIsoInstant', () => {
  it('reads offsets, Z, and local times in the given zone', () => {
    expect(parseIsoInstant('2024-07-19T16:42:32+03:00', 'UTC')).toBe(
      Date.UTC(2024, 6, 19, 13, 42, 32),
    );
    expect(parseIsoInstant('2024-07-19 16:42:32', 'Europe/Moscow')).toBe(
      Date.UTC(2024, 6, 19, 13, 42, 32),
    );
    expect(parseIsoInstant('2024-07-19', 'Europe/Moscow')).toBe(Date.UTC(2024, 6, 18, 21, 0, 0));
    expect(parseIsoInstant('19.07.2024', 'UTC')).toBeUndefined();
    expect(parseIsoInstant('2024-02-30', 'UTC')).toBeUndefined();
  });
});

describe('toDealWrite', () => {
  const deal: CrmDeal = {
    orderNumber: '1',
    status: 'new',
    orderDate: '2024-07-19T16:42:32+03:00',
    statusDate: undefined,
    revenue: undefined,
    phones: ['+7 916 123-45-67'],
    emails: undefined,
    tags: undefined,
    comment: undefined,
    manager: undefined,
    crm: undefined,
  };
  it('JSON-encodes present fields and sets the statusDate defaults', () => {
    const write = toDealWrite(deal, 'Europe/Moscow', Date.UTC(2024, 7, 1));
    expect(write.fields).toEqual([
      ['orderNumber', '"1"'],
      ['status', '"new"'],
      ['orderDate', '"2024-07-19T13:42:32.000Z"'],
      ['phones', '["+7 916 123-45-67"]'],
    ]);
    expect(write.statusDateIfFirst).toBe('"2024-07-19T13:42:32.000Z"');
    expect(write.statusDateIfStatusChanges).toBe('"2024-08-01T00:00:00.000Z"');
  });
  it('uses the deal statusDate when given, with no defaults', () => {
    const write = toDealWrite({ ...deal, statusDate: '2024-07-20T00:00:00Z' }, 'UTC', 0);
    expect(write.fields).toContainEqual(['statusDate', '"2024-07-20T00:00:00.000Z"']);
    expect(write.statusDateIfFirst).toBe('');
    expect(write.statusDateIfStatusChanges).toBe('');
  });
});

describe('parseIsoInstant edge cases', () => {
  it('agrees with Date.parse on valid offset forms and refuses impossible dates', () => {
    for (const text of [
      '2024-07-19T16:42:32Z',
      '2024-07-19T16:42:32.5+05:30',
      '2024-07-19T16:42:32.123456-03:00',
      '2024-07-19T16:42+0300',
      '2024-02-29T00:00:00Z',
    ]) {
      expect(parseIsoInstant(text, 'Asia/Tokyo'), text).toBe(
        Date.parse(text.replace(/\+0300$/, '+03:00')),
      );
    }
    expect(parseIsoInstant('2024-07-19T16:42:32+03', 'UTC')).toBe(
      Date.parse('2024-07-19T16:42:32+03:00'),
    );
    for (const bad of [
      '2023-02-29T00:00:00Z',
      '2024-04-31',
      '2024-07-19T24:00:00Z',
      '2024-07-19T10:00:00+25:00',
    ]) {
      expect(parseIsoInstant(bad, 'UTC'), bad).toBeUndefined();
    }
  });
});

/** The issues of one deal, as `path: message` lines. */
const issuesOf = (deal: Record<string, unknown>): string[] => {
  const parsed = parseDealsBody({ orders: [deal] });
  return parsed.ok ? [] : parsed.issues.map((i) => `${i.path}: ${i.message}`);
};
const valid = { orderNumber: 'A-1', status: 'new', orderDate: '2024-05-01T10:00:00+03:00' };

// Issue 12 item 16: dates outside 1900..9999 and numbers that cannot be an order number are
// refused with a message that says what is wrong, never quietly turned into something else.
describe('deal dates out of range', () => {
  it.each([
    ['0050-01-01T00:00:00Z', 'year 50 is before 1900'],
    ['0050-01-01', 'year 50 is before 1900'],
    ['1899-12-31T23:59:59+03:00', 'year 1899 is before 1900'],
    ['0000-01-01', 'year 0 is before 1900'],
  ])('orderDate and statusDate %s: 400 naming the field', (date, message) => {
    expect(issuesOf({ ...valid, orderDate: date })).toEqual([`orders.0.orderDate: ${message}`]);
    expect(issuesOf({ ...valid, statusDate: date })).toEqual([`orders.0.statusDate: ${message}`]);
  });

  it('never reads a year below 1900 as another year (0050 was stored as 1950)', () => {
    expect(parseIsoInstant('0050-01-01T00:00:00Z', 'UTC')).toBeUndefined();
    expect(parseIsoInstant('0099-12-31', 'Europe/Moscow')).toBeUndefined();
    expect(parseIsoInstant('1900-01-01T00:00:00Z', 'UTC')).toBe(Date.UTC(1900, 0, 1));
    expect(parseIsoInstant('9999-12-31T23:59:59Z', 'UTC')).toBe(Date.UTC(9999, 11, 31, 23, 59, 59));
  });

  it.each(['10000-01-01', '+010000-01-01T00:00:00Z', '-000050-01-01T00:00:00Z', '99999-01-01'])(
    'a year beyond four digits (%s) is refused as not YYYY',
    (date) => {
      expect(issuesOf({ ...valid, orderDate: date })).toEqual([
        'orders.0.orderDate: expected an ISO 8601 date-time, YYYY-MM-DD with a year from 1900 to 9999 (time and offset optional)',
      ]);
    },
  );

  it.each([
    [20240501, 'number'],
    [-2208988800000, 'number'],
    [253402300800000, 'number'],
    [true, 'boolean'],
  ])('a non-string date (%s) is refused with what is expected', (date, type) => {
    expect(issuesOf({ ...valid, orderDate: date })).toEqual([
      `orders.0.orderDate: expected an ISO 8601 date-time string such as 2024-05-01T10:00:00+03:00, got a ${type}`,
    ]);
  });

  it('accepts the bounds', () => {
    expect(
      issuesOf({ ...valid, orderDate: '1900-01-01', statusDate: '9999-12-31T23:59:59Z' }),
    ).toEqual([]);
  });
});

describe('numeric orderNumber', () => {
  const message =
    'a number orderNumber must be a whole number from 0 to 9007199254740991; send large or fractional ids as strings';
  it.each([1e21, 1.5, -3, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, 0.1 + 0.2])(
    '%s: says what is wrong',
    (n) => {
      expect(issuesOf({ ...valid, orderNumber: n })).toEqual([
        `orders.0.orderNumber: ${message} (got ${n})`,
      ]);
    },
  );

  it('keeps whole numbers as strings, up to the largest safe integer', () => {
    const parsed = parseDealsBody({ ...valid, orderNumber: Number.MAX_SAFE_INTEGER });
    expect(parsed.ok && parsed.deals[0]?.orderNumber).toBe('9007199254740991');
    expect(parsed.ok).toBe(true);
    const zero = parseDealsBody({ ...valid, orderNumber: 0 });
    expect(zero.ok && zero.deals[0]?.orderNumber).toBe('0');
  });

  it('says what a usable orderNumber is when it is neither', () => {
    expect(issuesOf({ ...valid, orderNumber: null })).toEqual([
      'orders.0.orderNumber: required: a string or a number',
    ]);
    expect(issuesOf({ ...valid, orderNumber: ['A-1'] })).toEqual([
      'orders.0.orderNumber: required: a string or a number',
    ]);
  });
});
