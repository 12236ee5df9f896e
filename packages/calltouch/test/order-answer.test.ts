import { describe, expect, it } from 'vitest';
import { orderAnswerOf, readOrdersAnswer } from '../src/index.ts';

const sent = ['A', 'B', 'C', 'D'];
const failed = (body: unknown, numbers: readonly string[] = sent) =>
  [...readOrdersAnswer(body, numbers).failed.values()].map((i) => [i.index, i.by, i.transient]);

describe('readOrdersAnswer', () => {
  it('finds nothing wrong in a success, whatever it looks like', () => {
    for (const body of [
      { success: true, data: { orders: [{ orderNumber: 'A' }, { orderNumber: 'B' }] } },
      { data: { orders: [{ orderNumber: 'A', errors: [] }] }, errors: [] },
      { message: 'Orders accepted' },
      '',
      'OK',
      12345,
      null,
      [{ orderNumber: 'A', status: 'created' }],
    ]) {
      expect(readOrdersAnswer(body, sent), JSON.stringify(body)).toEqual({
        hasErrors: false,
        failed: new Map(),
        unattributed: [],
      });
    }
  });

  it('names orders by orderNumber and index, as the stand-in answers', () => {
    const body = {
      success: false,
      message: '2 invalid order item(s)',
      errors: [
        { index: 1, orderNumber: 'B', reason: 'order already exists' },
        { index: 3, orderNumber: 'D', field: 'orderDate', reason: 'expected dd-mm-yyyy' },
      ],
    };
    const report = readOrdersAnswer(body, sent);
    expect(report.hasErrors).toBe(true);
    expect(report.unattributed).toEqual([]);
    expect(report.failed.get(1)).toEqual({
      index: 1,
      by: 'orderNumber',
      reason: 'order already exists',
      transient: false,
    });
    expect(report.failed.get(3)?.reason).toBe('orderDate: expected dd-mm-yyyy');
  });

  it('accepts numeric order numbers and string indices', () => {
    expect(failed({ errors: [{ orderNumber: 1001 }] }, ['1000', '1001'])).toEqual([
      [1, 'orderNumber', false],
    ]);
    expect(failed({ errors: [{ index: '2', message: 'bad' }] })).toEqual([[2, 'index', false]]);
  });

  it('reads field paths and validation maps (data.validationErrorData, as a peer reads it)', () => {
    expect(
      failed({
        data: { validationErrorData: [{ field: 'orders[2].orderDate', message: 'bad date' }] },
      }),
    ).toEqual([[2, 'index', false]]);
    expect(
      failed({ data: { validationErrorData: { 'orders.0.status': ['must not be empty'] } } }),
    ).toEqual([[0, 'index', false]]);
  });

  it('reads per-order results that say they failed', () => {
    const body = {
      data: {
        orders: [
          { orderNumber: 'A', success: true },
          { orderNumber: 'B', success: false, error: 'manager unknown' },
          { orderNumber: 'C', status: 'error', message: 'service temporarily unavailable' },
        ],
      },
    };
    expect(failed(body)).toEqual([
      [1, 'orderNumber', false],
      [2, 'orderNumber', true],
    ]);
  });

  it('says when errors name no order of the request', () => {
    for (const body of [
      { success: false, message: 'something went wrong' },
      { errors: [{ message: 'quota exceeded' }] },
      { error: 'Internal error' },
      { errors: [{ orderNumber: 'Z', reason: 'not in this request' }] },
      { status: 'error' },
      'Error: backend exception',
      { errors: [{ index: 9, reason: 'out of range' }] },
    ]) {
      const report = readOrdersAnswer(body, sent);
      expect(report.hasErrors, JSON.stringify(body)).toBe(true);
      expect(report.failed.size, JSON.stringify(body)).toBe(0);
      expect(report.unattributed.length, JSON.stringify(body)).toBeGreaterThan(0);
    }
  });

  it('distrusts every index when one contradicts its own orderNumber (counted from 1?)', () => {
    const report = readOrdersAnswer(
      {
        errors: [
          { index: 2, orderNumber: 'B', reason: 'x' },
          { index: 3, reason: 'y' },
        ],
      },
      sent,
    );
    expect([...report.failed.keys()]).toEqual([1]);
    expect(report.unattributed).toEqual(['y']);
  });

  it('puts every error of a one-order request on that order', () => {
    expect(failed({ success: false, message: 'try again later' }, ['A'])).toEqual([
      [0, 'only', true],
    ]);
  });

  it('reads a transient reason as transient', () => {
    expect(
      failed({ errors: [{ orderNumber: 'A', reason: 'Service temporarily unavailable' }] }),
    ).toEqual([[0, 'orderNumber', true]]);
  });

  it('stays bounded on huge or hostile bodies', () => {
    const errors = Array.from({ length: 50_000 }, (_, i) => ({
      index: i % 4,
      reason: 'x'.repeat(5_000),
    }));
    const report = readOrdersAnswer({ errors }, sent);
    expect(report.failed.size).toBe(4);
    for (const issue of report.failed.values()) expect(issue.reason.length).toBeLessThan(400);
    let deep: unknown = { errors: [{ orderNumber: 'A' }] };
    for (let i = 0; i < 100; i++) deep = { data: deep };
    expect(readOrdersAnswer(deep, sent).hasErrors).toBe(false);
  });
});

describe('orderAnswerOf', () => {
  it("keeps the order's own entry when the answer lists orders", () => {
    const body = {
      success: true,
      data: {
        orders: [
          { orderNumber: 'A', id: 7 },
          { orderNumber: 'B', id: 8 },
        ],
      },
    };
    expect(orderAnswerOf(body, 'B')).toEqual({ orderNumber: 'B', id: 8 });
  });

  it('keeps the answer itself, cut to a bounded size', () => {
    expect(orderAnswerOf({ success: true }, 'A')).toEqual({ success: true });
    const big = { success: true, blob: 'y'.repeat(10_000) };
    const kept = orderAnswerOf(big, 'A') as { truncated: string };
    expect(kept.truncated.length).toBe(500);
  });
});
