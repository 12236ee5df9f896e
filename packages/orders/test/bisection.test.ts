import { afterEach, describe, expect, it } from 'vitest';
import { toJobId } from '@touchline/queue';
import { useTestRedis, waitFor } from '@touchline/testing';
import { startFlow, type Flow } from './delivery-harness.ts';

/**
 * Issue 12, item 8: a transient 5xx during a bisection settled every unsettled item of the batch
 * as a failed attempt, and the next attempt bisected again. A 400 that names the refused orders
 * drops them directly; a transient failure of one request is retried within the batch; an
 * innocent order never pays an attempt for a neighbour.
 */
const db = useTestRedis('orders-bisection');
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

const settled = (f: Flow, completed: number) =>
  waitFor(
    async () => (await f.queue.getCompletedCount()) === completed && (await f.pending()) === 0,
    { timeoutMs: 30_000, message: `${completed} completed` },
  );

/** Creates orders in Calltouch directly, as if an earlier attempt had (its answer lost). */
async function preexisting(f: Flow, orderNumbers: string[]) {
  const answer = await fetch(`${f.sandbox.url}/lead-service/v1/api/client-order/create`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'access-token': f.sandbox.credentials.apiToken,
      siteid: f.sandbox.credentials.siteId,
    },
    body: JSON.stringify({
      orders: orderNumbers.map((orderNumber) => ({
        orderNumber,
        status: 'Новая',
        orderDate: '10-07-2024 09:00:00',
      })),
    }),
  });
  expect(answer.status).toBe(200);
}

const attempts = async (f: Flow, orderNumbers: string[]) =>
  Object.fromEntries(
    await Promise.all(
      orderNumbers.map(async (n) => [
        n,
        (await f.queue.getJob(toJobId('order', n, 1)))?.attemptsMade,
      ]),
    ),
  ) as Record<string, number | undefined>;

const numbers = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `N${from + i}`);

describe('isolating refused orders', () => {
  it('drops the orders a 400 names and sends the rest, instead of bisecting', async () => {
    flow = await startFlow({ db, workers: 1, errorShare: 0 });
    const f = flow;
    const all = numbers(40);
    await preexisting(f, ['N3', 'N17', 'N31']);
    const before = f.sandbox.stats().requests.total;
    await f.start();
    await f.send({ orders: all.map(deal) });
    await settled(f, 40);
    const requests = f.sandbox.stats().requests.total - before;
    // The 40 creates (refused, naming 3), the other 37, one update of the 3 named.
    expect(requests).toBe(3);
    expect(f.sandbox.orders()['N17']?.history.map((h) => h.action)).toEqual(['create', 'update']);
    expect(await f.queue.getFailedCount()).toBe(0);
  });

  it('retries a 5xx of one half within the batch: every order delivered on its first attempt', async () => {
    flow = await startFlow({
      db,
      workers: 1,
      errorShare: 0,
      sandbox: { faults: { naming: 'none' } },
    });
    const f = flow;
    const all = numbers(8);
    await preexisting(f, ['N7']);
    await f.start();
    // The batch is refused (naming nothing); its first half then meets two 500s.
    f.sandbox.setFaults({ nextStatuses: [0, 500, 500] });
    await f.send({ orders: all.map(deal) });
    await settled(f, 8);
    expect(Object.values(await attempts(f, all))).toEqual(new Array(8).fill(1));
    expect(f.sandbox.stats().requests.byStatus['500']).toBe(2);
  });

  it('when one half keeps failing, only its orders pay an attempt; the others none', async () => {
    flow = await startFlow({
      db,
      workers: 1,
      errorShare: 0,
      sandbox: { faults: { naming: 'none' } },
    });
    const f = flow;
    const all = numbers(8);
    await preexisting(f, ['N7']);
    await f.start();
    // Refused, then the first half (N0..N3) fails three times in a row.
    f.sandbox.setFaults({ nextStatuses: [0, 503, 503, 503] });
    await f.send({ orders: all.map(deal) });
    await settled(f, 8);
    const made = await attempts(f, all);
    expect(made).toMatchObject({ N0: 2, N1: 2, N2: 2, N3: 2 });
    expect(made).toMatchObject({ N4: 1, N5: 1, N6: 1, N7: 1 });
    expect(await f.queue.getFailedCount()).toBe(0);
  });
});
