import { describe, expect, it } from 'vitest';
import { createLimiter } from '@touchline/limiter';
import { useTestRedis } from '@touchline/testing';
import { BudgetPausedError, createCalltouchGate, createPointsBudget } from '../src/index.ts';

const db = useTestRedis('gate');
const costs = { calls_import: 1, orders_create: 1, orders_update: 1, requests_export: 1 };

describe('the Calltouch gate', () => {
  it('asks the points budget at departure, not only before the wait for a slot', async () => {
    const prefix = db.newPrefix();
    // Two requests a second: the second waits half a second for its slot.
    const limiter = createLimiter(db.redis, `${prefix}:limiter`, {
      limit: 2,
      windowMs: 1_000,
      marginMs: 0,
    });
    const budget = createPointsBudget({
      redis: db.redis,
      prefix,
      timeZone: 'Europe/Moscow',
      costs,
      budget: 200,
      thresholds: { requests_export: 0.2, orders_update: 0.05 },
    });
    // 11 points left: order updates may go (they pause at 5%, 10 points).
    for (let i = 0; i < 189; i++) await budget.spend('calls_import');
    const gate = createCalltouchGate(limiter, budget);
    await gate.acquire('orders_update');
    const second = gate.acquire('orders_update');
    // The first request is answered and costs its point while the second waits for its slot.
    await budget.spend('orders_update');
    await expect(second).rejects.toBeInstanceOf(BudgetPausedError);
    // Calls go on until the budget is gone.
    await expect(gate.acquire('calls_import')).resolves.toHaveProperty('at');
  });

  it('lets a shutdown end the wait for a slot: the request does not leave', async () => {
    const prefix = db.newPrefix();
    const limiter = createLimiter(db.redis, `${prefix}:limiter`, { limit: 1, windowMs: 5_000 });
    const gate = createCalltouchGate(limiter);
    await gate.acquire('calls_import');
    const controller = new AbortController();
    const { withDeparture } = await import('../src/index.ts');
    const waiting = withDeparture(
      { ids: ['a'], inflightKey: `${prefix}:calls:inflight`, signal: controller.signal },
      () => gate.acquire('calls_import'),
    );
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow();
    expect(await db.redis.hlen(`${prefix}:calls:inflight`)).toBe(0);
  });
});
