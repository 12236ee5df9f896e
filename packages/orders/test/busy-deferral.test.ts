import { afterEach, describe, expect, it } from 'vitest';
import { toJobId } from '@touchline/queue';
import { useTestRedis, waitFor } from '@touchline/testing';
import { orderLockKey } from '../src/index.ts';
import { startFlow, type Flow } from './delivery-harness.ts';

/**
 * Issue 12, item 2: an order whose lock is never released (a foreign value at its lock key, a
 * holder that never lets go) was deferred for ever as "another worker is sending this order" —
 * 176 deferrals in 7 minutes, never sent, never parked, no log line. Past a bound it must be
 * logged, counted and parked with its reason; the count survives a worker restart.
 */
const db = useTestRedis('orders-busy');
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

const parkedJob = (f: Flow) =>
  waitFor(
    async () => {
      const failed = await f.queue.getFailed();
      return failed.length > 0 ? failed : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, message: 'the busy order parked' },
  );

describe('busy deferrals are bounded', () => {
  it('parks an order whose lock is held for ever, with the reason, logged and counted', async () => {
    flow = await startFlow({
      db,
      workers: 1,
      errorShare: 0,
      flow: { busyDeferMs: 50, maxBusyDeferrals: 4, maxBusyMs: 60_000 },
    });
    const f = flow;
    // A lock no worker of ours holds and nothing expires: it is never released.
    await f.redis.set(orderLockKey(f.prefix, 'V'), 'foreign-holder');
    await f.start();
    await f.send({ orders: [deal('V'), deal('W')] });

    const [parked] = await parkedJob(f);
    expect(parked?.id).toBe(toJobId('order', 'V', 1));
    expect(parked?.failedReason).toMatch(/another worker/);
    expect(parked?.failedReason).toMatch(/4 times/);
    expect(parked?.failedReason).toContain('foreign-holder');
    // Parked for good, not retried: the operator replays it once the lock is sorted out.
    expect(await parked?.getState()).toBe('failed');
    // The other order of the batch was delivered; V never reached Calltouch.
    await waitFor(async () => (await f.queue.getCompletedCount()) === 1, { message: 'W' });
    expect(Object.keys(f.sandbox.orders())).toEqual(['W']);

    expect(
      await f.metric('touchline_deferrals_total', {
        flow: 'orders',
        reason: 'busy',
        result: 'deferred',
      }),
    ).toBe(3);
    expect(
      await f.metric('touchline_deferrals_total', {
        flow: 'orders',
        reason: 'busy',
        result: 'parked',
      }),
    ).toBe(1);
    const line = f.lines().find((l) => l['orderNumber'] === 'V' && l['level'] === 'warn');
    expect(line?.['msg']).toMatch(/parked/);
    // The durable count is cleaned once the item is settled.
    expect(await f.redis.keys(`${f.prefix}:orders:busy:*`)).toEqual([]);

    // Once the lock is gone, a replay delivers it.
    await f.redis.del(orderLockKey(f.prefix, 'V'));
    await parked?.retry();
    await waitFor(async () => (await f.queue.getCompletedCount()) === 2, { message: 'replayed' });
    expect(f.sandbox.orders()['V']?.state['status']).toBe('Новая');
  });

  it('parks after the busy time bound too', async () => {
    flow = await startFlow({
      db,
      workers: 1,
      errorShare: 0,
      flow: { busyDeferMs: 50, maxBusyDeferrals: 1_000, maxBusyMs: 300 },
    });
    const f = flow;
    await f.redis.set(orderLockKey(f.prefix, 'T'), 'stuck');
    await f.start();
    await f.send(deal('T'));
    const [parked] = await parkedJob(f);
    expect(parked?.id).toBe(toJobId('order', 'T', 1));
    expect(parked?.failedReason).toMatch(/another worker/);
  });

  it('keeps the count across a worker restart: the bound is not restarted', async () => {
    flow = await startFlow({
      db,
      workers: 1,
      errorShare: 0,
      flow: { busyDeferMs: 50, maxBusyDeferrals: 6, maxBusyMs: 60_000 },
    });
    const f = flow;
    await f.redis.set(orderLockKey(f.prefix, 'R'), 'foreign-holder');
    await f.start();
    await f.send(deal('R'));
    const deferred = () =>
      f.metric('touchline_deferrals_total', { flow: 'orders', reason: 'busy' });
    await waitFor(async () => (await deferred()) >= 3, {
      timeoutMs: 30_000,
      message: 'three busy deferrals',
    });
    const old = f.registry;
    await f.restart();
    // Read once the old worker has stopped: a batch it had in hand still counted there.
    const before =
      (await old.getSingleMetric('touchline_deferrals_total')?.get())?.values.reduce(
        (sum, v) => sum + v.value,
        0,
      ) ?? 0;
    const [parked] = await parkedJob(f);
    expect(parked?.failedReason).toMatch(/6 times/);
    // The restarted worker counted only the rest of the deferrals (and the park).
    expect(await deferred()).toBe(6 - before);
  });

  it('a busy order that gets its turn is delivered and its count cleared', async () => {
    flow = await startFlow({
      db,
      workers: 1,
      errorShare: 0,
      flow: { busyDeferMs: 50, maxBusyDeferrals: 1_000, maxBusyMs: 60_000 },
    });
    const f = flow;
    await f.redis.set(orderLockKey(f.prefix, 'L'), 'a-slow-worker', 'PX', 600);
    await f.start();
    await f.send(deal('L'));
    await waitFor(async () => (await f.queue.getCompletedCount()) === 1, {
      timeoutMs: 20_000,
      message: 'delivered once the lock expired',
    });
    expect(
      await f.metric('touchline_deferrals_total', { flow: 'orders', reason: 'busy' }),
    ).toBeGreaterThan(0);
    expect(await f.redis.keys(`${f.prefix}:orders:busy:*`)).toEqual([]);
  });
});
