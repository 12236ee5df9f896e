import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import type { CalltouchEndpoint } from '@touchline/calltouch';
import { useTestRedis } from '@touchline/testing';
import { BudgetPausedError, createPointsBudget, type PointsBudget } from '../src/index.ts';

const zone = 'Europe/Moscow';
const db = useTestRedis('points');
const redis = db.redis;

const costs: Record<CalltouchEndpoint, number> = {
  calls_import: 1,
  orders_create: 1,
  orders_update: 1,
  requests_export: 1,
};

/** A budget on its own prefix with a clock the test moves. */
function setup(budget: number | undefined, startIso = '2030-01-15T10:00:00') {
  const prefix = db.newPrefix();
  const clock = { now: DateTime.fromISO(startIso, { zone }).toMillis() };
  const make = () =>
    createPointsBudget({ redis, prefix, timeZone: zone, costs, budget, now: () => clock.now });
  return { prefix, clock, budget: make(), make };
}

/** Which endpoints may spend now. */
async function allowed(budget: PointsBudget): Promise<Record<CalltouchEndpoint, boolean>> {
  const result = {} as Record<CalltouchEndpoint, boolean>;
  for (const endpoint of Object.keys(costs) as CalltouchEndpoint[]) {
    result[endpoint] = await budget.check(endpoint).then(
      () => true,
      (err: unknown) => {
        if (!(err instanceof BudgetPausedError)) throw err;
        return false;
      },
    );
  }
  return result;
}

async function spend(budget: PointsBudget, endpoint: CalltouchEndpoint, times: number) {
  for (let i = 0; i < times; i++) await budget.spend(endpoint);
}

describe('points budget priorities', () => {
  it('pauses the leads export first, then order updates, while calls and creates go on to 0', async () => {
    const { budget } = setup(100);
    expect(await allowed(budget)).toEqual({
      calls_import: true,
      orders_create: true,
      orders_update: true,
      requests_export: true,
    });

    // 21 left (> 20%): everything still goes.
    await spend(budget, 'calls_import', 79);
    expect((await allowed(budget)).requests_export).toBe(true);

    // 20 left (≤ 20%): the leads export pauses, nothing else does.
    await spend(budget, 'requests_export', 1);
    expect(await allowed(budget)).toEqual({
      calls_import: true,
      orders_create: true,
      orders_update: true,
      requests_export: false,
    });
    const paused = await budget.check('requests_export').catch((err: unknown) => err);
    expect(paused).toBeInstanceOf(BudgetPausedError);
    expect((paused as BudgetPausedError).message).toMatch(/20 of 100 points left/);

    // 6 left: updates still go.
    await spend(budget, 'orders_create', 14);
    expect((await allowed(budget)).orders_update).toBe(true);

    // 5 left (≤ 5%): order updates pause too; calls and creates go on.
    await spend(budget, 'orders_update', 1);
    expect(await allowed(budget)).toEqual({
      calls_import: true,
      orders_create: true,
      orders_update: false,
      requests_export: false,
    });

    // 1 left: calls still go; at 0 everything waits.
    await spend(budget, 'calls_import', 4);
    expect((await allowed(budget)).calls_import).toBe(true);
    await spend(budget, 'calls_import', 1);
    expect(await allowed(budget)).toEqual({
      calls_import: false,
      orders_create: false,
      orders_update: false,
      requests_export: false,
    });

    const status = await budget.status();
    expect(status).toMatchObject({
      day: '2030-01-15',
      total: 100,
      remaining: 0,
      budget: 100,
      spent: { calls_import: 84, requests_export: 1, orders_create: 14, orders_update: 1 },
    });
    expect(Object.keys(status.paused).sort()).toEqual(Object.keys(costs).sort());
  });

  it('a paused endpoint waits until the next Calltouch midnight, then everything resumes', async () => {
    const { budget, clock } = setup(10, '2030-01-15T23:59:30');
    await spend(budget, 'calls_import', 10);
    const err = (await budget.check('calls_import').catch((e: unknown) => e)) as BudgetPausedError;
    expect(err).toBeInstanceOf(BudgetPausedError);
    const midnight = DateTime.fromISO('2030-01-16T00:00:00', { zone }).toMillis();
    expect(err.untilMs).toBe(midnight);
    expect((await budget.status()).nextDayAt).toBe(midnight);

    clock.now = midnight - 1;
    expect((await allowed(budget)).calls_import).toBe(false);
    clock.now = midnight;
    expect(await allowed(budget)).toEqual({
      calls_import: true,
      orders_create: true,
      orders_update: true,
      requests_export: true,
    });
    expect(await budget.status()).toMatchObject({ day: '2030-01-16', total: 0, remaining: 10 });
  });

  it('the day is the Calltouch day (CALLTOUCH_TIMEZONE), not UTC', async () => {
    // 22:30 UTC on the 15th is already the 16th in Moscow.
    const { budget, clock } = setup(10, '2030-01-16T01:30:00');
    expect((await budget.status()).day).toBe('2030-01-16');
    clock.now = Date.UTC(2030, 0, 15, 20, 59);
    expect((await budget.status()).day).toBe('2030-01-15');
  });

  it("Calltouch's own 'exhausted' answer pauses everything until the day rolls over", async () => {
    const { budget, clock } = setup(1_000);
    await spend(budget, 'calls_import', 3);
    await budget.markExhausted();
    expect(await allowed(budget)).toEqual({
      calls_import: false,
      orders_create: false,
      orders_update: false,
      requests_export: false,
    });
    expect((await budget.status()).exhaustedByCalltouch).toBe(true);
    clock.now += 86_400_000;
    expect((await allowed(budget)).calls_import).toBe(true);
    expect((await budget.status()).exhaustedByCalltouch).toBe(false);
  });

  it('without a budget it only counts, and only the exhausted answer pauses', async () => {
    const { budget, clock } = setup(undefined);
    await spend(budget, 'requests_export', 500);
    expect((await allowed(budget)).requests_export).toBe(true);
    expect(await budget.status()).toMatchObject({ total: 500, remaining: undefined, paused: {} });
    await budget.markExhausted();
    expect((await allowed(budget)).calls_import).toBe(false);
    clock.now += 86_400_000;
    expect((await allowed(budget)).calls_import).toBe(true);
  });

  it('is shared by every process through Redis (two budget objects, one count)', async () => {
    const { budget, make } = setup(10);
    const other = make();
    await spend(budget, 'calls_import', 4);
    await spend(other, 'orders_create', 4);
    expect((await budget.status()).total).toBe(8);
    expect((await other.status()).paused.requests_export).toBeDefined();
  });
});
