import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, startStandIn } from './calltouch-helpers.ts';

let t: Awaited<ReturnType<typeof startStandIn>>;
beforeAll(async () => {
  t = await startStandIn({ rateLimit: 10_000, pointsCost: { calls_import: 3, orders_create: 2 } });
});
afterAll(() => t.standIn.close());
afterEach(() => t.standIn.reset());

type Refusal = {
  success: false;
  message: string;
  errors: { index?: number; referenceId?: string; orderNumber?: string; reason: string }[];
};

describe('call import validation', () => {
  it('accepts 100 calls and refuses 101 with 400', async () => {
    expect((await t.importCalls(Array.from({ length: 100 }, (_, i) => call(i)))).status).toBe(200);
    const answer = await t.importCalls(Array.from({ length: 101 }, (_, i) => call(1000 + i)));
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as Refusal).message).toMatch(/at most 100/);
    expect(t.standIn.stats().calls.unique).toBe(100);
  });

  it('refuses the whole request naming each bad item', async () => {
    const answer = await t.importCalls([
      call(1),
      call(2, { clientPhoneNumber: '+7 (999) 123-45-67' }),
      call(3, { callStartTime: '24.11.2026 10:00' }),
      call(4, { duration: 'long' }),
      call(1),
    ]);
    expect(answer.status).toBe(400);
    const body = (await answer.json()) as Refusal;
    expect(body.errors.map((e) => [e.index, e.referenceId])).toEqual([
      [1, 'ref-2'],
      [2, 'ref-3'],
      [3, 'ref-4'],
      [4, 'ref-1'],
    ]);
    expect(t.standIn.stats().calls.received).toBe(0);
  });

  it('accepts a known referenceId again but counts it as a duplicate', async () => {
    expect((await t.importCalls([call(1), call(2)])).status).toBe(200);
    expect((await t.importCalls([call(2)])).status).toBe(200);
    expect(t.standIn.stats().calls).toEqual({ received: 3, unique: 2, duplicates: 1 });
    const { calls } = (await (await t.admin('/calls')).json()) as {
      calls: Record<string, { receiveCount: number }>;
    };
    expect(calls['ref-2']?.receiveCount).toBe(2);
  });

  it('refuses a wrong apikey with 401 and keeps nothing', async () => {
    const answer = await fetch(
      `${t.standIn.url}/event-service/platform/sandbox/inbound-call?apikey=nope`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ calls: [call(1)] }),
      },
    );
    expect(answer.status).toBe(401);
    expect(t.standIn.stats().calls.received).toBe(0);
  });

  it('counts points per successful request with the cost table', async () => {
    await t.importCalls([call(1)]);
    await t.importCalls([call(2)]);
    await t.importCalls([call(3, { status: '' })]);
    await t.orders('create', [
      { orderNumber: 'A', status: 'new', orderDate: '24-11-2026 10:00:00' },
    ]);
    const { points } = t.standIn.stats();
    expect(points.byEndpoint).toEqual({
      calls_import: 6,
      orders_create: 2,
      orders_update: 0,
      requests_export: 0,
    });
    expect(points.total).toBe(8);
  });
});

describe('orders', () => {
  const order = {
    orderNumber: 'D-1',
    status: 'Новая',
    orderDate: '24-11-2026 10:00:00',
    revenue: '1000.00',
  };

  it('create of an existing order and update of a missing one are refused, naming it', async () => {
    expect((await t.orders('create', [order])).status).toBe(200);
    const dup = await t.orders('create', [{ ...order, orderNumber: 'D-2' }, order]);
    expect(dup.status).toBe(400);
    expect(((await dup.json()) as Refusal).errors).toEqual([
      { index: 1, orderNumber: 'D-1', reason: 'order already exists' },
    ]);
    const missing = await t.orders('update', [
      { orderNumber: 'D-1', status: 'В работе' },
      { orderNumber: 'D-9', status: 'x' },
    ]);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as Refusal).errors).toEqual([
      { index: 1, orderNumber: 'D-9', reason: 'order not found' },
    ]);
    // Nothing of the refused requests was applied.
    expect(Object.keys(t.standIn.orders())).toEqual(['D-1']);
    expect(t.standIn.orders()['D-1']?.state['status']).toBe('Новая');
  });

  it('keeps the final state and the history', async () => {
    await t.orders('create', [order]);
    await t.orders('update', [
      { orderNumber: 'D-1', status: 'Оплачена', statusDate: '25-11-2026 12:00:00' },
    ]);
    const { orders } = (await (await t.admin('/orders')).json()) as {
      orders: Record<string, { state: Record<string, unknown>; history: { action: string }[] }>;
    };
    expect(orders['D-1']?.state).toMatchObject({
      status: 'Оплачена',
      revenue: '1000.00',
      statusDate: '25-11-2026 12:00:00',
    });
    expect(orders['D-1']?.history.map((h) => h.action)).toEqual(['create', 'update']);
  });

  it('checks order dates and wants Access-Token + SiteId', async () => {
    const bad = await t.orders('create', [{ ...order, orderDate: '2026-11-24 10:00:00' }]);
    expect(bad.status).toBe(400);
    const noAuth = await fetch(`${t.standIn.url}/lead-service/v1/api/client-order/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Access-Token': 'sandbox' },
      body: JSON.stringify({ orders: [order] }),
    });
    expect(noAuth.status).toBe(401);
  });
});
