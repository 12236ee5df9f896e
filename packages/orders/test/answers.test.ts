import { afterEach, describe, expect, it } from 'vitest';
import { toJobId } from '@touchline/queue';
import { useTestRedis, waitFor } from '@touchline/testing';
import { startFlow, type Flow } from './delivery-harness.ts';

/**
 * Issue 12, item 6: an orders answer `200 {"errors": [...]}` was marked delivered and its body
 * thrown away. Orders a 2xx names as failed are settled as failed (parked with the reason, or
 * retried when the reason says it is transient), never delivered; an error-like 2xx that names
 * no order is counted and its batch isolated as a refusal is; the answer is kept in the job.
 */
const db = useTestRedis('orders-answers');
let flow: Flow | undefined;
afterEach(async () => {
  await flow?.close();
  flow = undefined;
});

const deal = (orderNumber: string) => ({
  orderNumber,
  status: 'Новая',
  orderDate: '2024-07-10T09:00:00+03:00',
});

const start = async () => {
  flow = await startFlow({ db, workers: 1, errorShare: 0 });
  await flow.start();
  return flow;
};

const settled = (f: Flow, completed: number, failed: number) =>
  waitFor(
    async () =>
      (await f.queue.getCompletedCount()) === completed &&
      (await f.queue.getFailedCount()) === failed &&
      (await f.pending()) === 0,
    { timeoutMs: 20_000, message: `${completed} completed and ${failed} parked` },
  );

describe('a 2xx that carries errors', () => {
  it('parks the orders it names with the reason; the others are delivered', async () => {
    const f = await start();
    f.sandbox.setFaults({ refuseOrdersInOk: ['B'], refuseMessage: 'manager is not known' });
    await f.send({ orders: [deal('A'), deal('B'), deal('C')] });
    await settled(f, 2, 1);
    const [parked] = await f.queue.getFailed();
    expect(parked?.id).toBe(toJobId('order', 'B', 1));
    expect(parked?.failedReason).toContain('manager is not known');
    expect(Object.keys(f.sandbox.orders()).sort()).toEqual(['A', 'C']);

    // Calltouch's answer stays with the delivered job.
    const a = await f.queue.getJob(toJobId('order', 'A', 1));
    expect(JSON.stringify(a?.returnvalue)).toContain('"orderNumber":"A"');

    expect(
      await f.metric('touchline_calltouch_items_total', {
        endpoint: 'orders_create',
        outcome: 'delivered',
      }),
    ).toBe(2);
    expect(
      await f.metric('touchline_calltouch_answer_errors_total', { endpoint: 'orders_create' }),
    ).toBe(1);
    const line = f.lines().find((l) => /carries errors/.test(String(l['msg'])));
    expect(line?.['level']).toBe('warn');
  });

  it('retries an order it names with a transient reason, and delivers it later', async () => {
    const f = await start();
    f.sandbox.setFaults({
      refuseOrdersInOk: ['B'],
      refuseMessage: 'temporarily unavailable, try again later',
    });
    await f.send({ orders: [deal('A'), deal('B')] });
    const id = toJobId('order', 'B', 1);
    await waitFor(async () => (await f.queue.getJob(id))?.failedReason?.includes('temporarily'), {
      message: 'B failed once',
    });
    expect(f.sandbox.orders()['B']).toBeUndefined();
    f.sandbox.setFaults({ refuseOrdersInOk: [] });
    await settled(f, 2, 0);
    expect(f.sandbox.orders()['B']?.history.map((h) => h.action)).toEqual(['create']);
    expect((await f.queue.getJob(id))?.attemptsMade).toBe(2);
  });

  it('isolates a batch whose error-like 2xx names no order: good ones delivered, the bad one parked', async () => {
    const f = await start();
    // The stand-in keeps A, C and D and answers {success:false, message} for the request.
    f.sandbox.setFaults({ refuseOrdersInOk: ['B'], naming: 'none', refuseMessage: 'bad order' });
    await f.send({ orders: [deal('A'), deal('B'), deal('C'), deal('D')] });
    await settled(f, 3, 1);
    const [parked] = await f.queue.getFailed();
    expect(parked?.id).toBe(toJobId('order', 'B', 1));
    expect(parked?.failedReason).toContain('bad order');
    expect(Object.keys(f.sandbox.orders()).sort()).toEqual(['A', 'C', 'D']);
    // Re-sent after an answer that did not say what it took: counted as duplicates.
    expect(
      await f.metric('touchline_calltouch_items_total', { outcome: 'duplicate' }),
    ).toBeGreaterThan(0);
    expect(
      await f.metric('touchline_calltouch_answer_errors_total', {
        endpoint: 'orders_create',
        attributed: 'no',
      }),
    ).toBe(1);
  });
});
