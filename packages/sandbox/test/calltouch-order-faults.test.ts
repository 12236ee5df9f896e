import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, startStandIn } from './calltouch-helpers.ts';

let t: Awaited<ReturnType<typeof startStandIn>>;
beforeAll(async () => {
  t = await startStandIn({ rateLimit: 10_000 });
});
afterAll(() => t.standIn.close());
afterEach(() => t.standIn.reset());

const order = (orderNumber: string) => ({
  orderNumber,
  status: 'new',
  orderDate: '10-07-2024 09:00:00',
});

describe('per-order faults and how refusals name items', () => {
  it('refuses listed orders with a 400 naming them; nothing of the request is kept', async () => {
    t.standIn.setFaults({ refuseOrders: ['B'], refuseMessage: 'order B is cursed' });
    const answer = await t.orders('create', [order('A'), order('B'), order('C')]);
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({
      success: false,
      errors: [{ index: 1, orderNumber: 'B', reason: 'order B is cursed' }],
    });
    expect(Object.keys(t.standIn.orders())).toEqual([]);
    // Updates too.
    t.standIn.setFaults({ refuseOrders: [] });
    expect((await t.orders('create', [order('B')])).status).toBe(200);
    t.standIn.setFaults({ refuseOrders: ['B'] });
    expect((await t.orders('update', [order('B')])).status).toBe(400);
  });

  it('answers 200 with errors for orders refused inside a success, keeping the others', async () => {
    t.standIn.setFaults({ refuseOrdersInOk: ['B'], refuseMessage: 'internal error, try later' });
    const answer = await t.orders('create', [order('A'), order('B'), order('C')]);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      errors: [{ index: 1, orderNumber: 'B', reason: 'internal error, try later' }],
      data: { orders: [{ orderNumber: 'A' }, { orderNumber: 'C' }] },
    });
    expect(Object.keys(t.standIn.orders()).sort()).toEqual(['A', 'C']);
    // A request without a listed order is an ordinary success.
    const clean = await t.orders('create', [order('D')]);
    expect(await clean.json()).toEqual({ success: true, data: { orders: [{ orderNumber: 'D' }] } });
  });

  it('names items by index, by id, or not at all, as configured', async () => {
    await t.orders('create', [order('X')]);
    const refusal = async () =>
      (await (await t.orders('create', [order('Y'), order('X')])).json()) as Record<
        string,
        unknown
      >;
    t.standIn.setFaults({ naming: 'index' });
    expect((await refusal())['errors']).toEqual([{ index: 1, reason: 'order already exists' }]);
    t.standIn.setFaults({ naming: 'id' });
    expect((await refusal())['errors']).toEqual([
      { orderNumber: 'X', reason: 'order already exists' },
    ]);
    t.standIn.setFaults({ naming: 'none' });
    const bare = await refusal();
    expect(bare).toEqual({ success: false, message: '1 invalid order item(s)' });
    // Calls are named the same way.
    const calls = await t.importCalls([call(1, { duration: 'long' })]);
    expect(await calls.json()).toEqual({ success: false, message: '1 invalid call item(s)' });
    // A 2xx with errors and no names is a bare message.
    t.standIn.setFaults({ refuseOrdersInOk: ['Z'] });
    const ok = await t.orders('create', [order('Z'), order('W')]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      success: false,
      message: 'sandbox: order refused (fault injection)',
    });
    expect(Object.keys(t.standIn.orders()).sort()).toEqual(['W', 'X']);
  });

  it('answers the scripted statuses to the next requests, one each, then nothing', async () => {
    t.standIn.setFaults({ nextStatuses: [500, 0, 503] });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.orders('create', [order(`S${i}`)])).status);
    expect(statuses).toEqual([500, 200, 503, 200]);
    expect(t.standIn.faults().settings.nextStatuses).toEqual([]);
    expect(Object.keys(t.standIn.orders()).sort()).toEqual(['S1', 'S3']);
    const admin = await t.admin('/faults', { nextStatuses: [502] });
    expect(admin.status).toBe(200);
    expect((await t.importCalls([call(9)])).status).toBe(502);
    expect((await t.admin('/faults', { nextStatuses: [200] })).status).toBe(400);
  });
});
