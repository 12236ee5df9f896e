import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createFlowQueue } from '@touchline/queue';
import { TEST_REDIS_URL, useTestRedis } from '@touchline/testing';
import { createOrderIntake, ordersFlowSpec, parseDealsBody, type CrmDeal } from '../src/index.ts';

const { prefix } = useTestRedis('intake');
const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
const queue = createFlowQueue(ordersFlowSpec, redis, prefix);
afterAll(async () => {
  await queue.close();
  redis.disconnect();
});

const deals = (body: unknown): CrmDeal[] => {
  const parsed = parseDealsBody(body);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.deals;
};

describe('createOrderIntake', () => {
  it('completes on retry what a failed enqueue left half done, repeating nothing', async () => {
    let now = Date.UTC(2024, 7, 1);
    const intake = createOrderIntake({ redis, queue, prefix, timeZone: 'UTC', now: () => now });
    const body = deals({
      orders: [
        { orderNumber: 'P-1', status: 'new', orderDate: '2024-07-01T10:00:00Z' },
        { orderNumber: 'P-1', status: 'paid', orderDate: '2024-07-01T10:00:00Z' },
        { orderNumber: 'P-2', status: 'new', orderDate: '2024-07-01T10:00:00Z', revenue: '5' },
      ],
    });
    // Make the enqueue step fail after the merge step succeeded: BullMQ's add script reads the
    // queue's meta hash, and a string there makes the whole MULTI fail.
    await redis.set(`${prefix}:orders:meta`, 'broken');
    try {
      await expect(intake.accept(body)).rejects.toThrow();
    } finally {
      await redis.del(`${prefix}:orders:meta`);
    }
    expect(await queue.getWaitingCount()).toBe(0);
    // Two states of P-1 in one body are merged into one (the later over the earlier).
    expect(await redis.hget(`${prefix}:order:P-1`, 'seq')).toBe('1');
    expect(await redis.hget(`${prefix}:order:P-1`, 'status')).toBe('"paid"');

    now += 60_000;
    await intake.accept(body);
    const ids = (await queue.getJobs(['waiting'])).map((j) => j.id).sort();
    expect(ids).toEqual(['order-P-1-1', 'order-P-2-1']);
    expect(await redis.hget(`${prefix}:order:P-1`, 'seq')).toBe('1');

    // A later status arrives, then the CRM retries it a minute later: one change, one job, and
    // the status date is when the change was first received.
    const paidLater = deals({
      orderNumber: 'P-2',
      status: 'paid',
      orderDate: '2024-07-01T10:00:00Z',
    });
    await intake.accept(paidLater);
    now += 60_000;
    await intake.accept(paidLater);
    const state = await redis.hgetall(`${prefix}:order:P-2`);
    expect(state['seq']).toBe('2');
    expect(state['revenue']).toBe('"5"');
    expect(JSON.parse(state['statusDate'] ?? '')).toBe('2024-08-01T00:01:00.000Z');
    expect(await queue.getJob('order-P-2-2')).toBeTruthy();
    expect(await queue.getJob('order-P-2-3')).toBeUndefined();
  });

  it('keeps fields a later state omits and bumps seq only on change', async () => {
    const intake = createOrderIntake({ redis, queue, prefix, timeZone: 'UTC' });
    await intake.accept(
      deals({
        orderNumber: 'K-1',
        status: 'a',
        orderDate: '2024-07-01',
        tags: ['x'],
        manager: 'M',
      }),
    );
    await intake.accept(
      deals({ orderNumber: 'K-1', status: 'a', orderDate: '2024-07-01', revenue: 10 }),
    );
    const state = await redis.hgetall(`${prefix}:order:K-1`);
    expect(state).toMatchObject({ seq: '2', tags: '["x"]', manager: '"M"', revenue: '"10"' });
    // Amount changed, status did not: the status date stays the first one (orderDate).
    expect(state['statusDate']).toBe('"2024-07-01T00:00:00.000Z"');
    await intake.accept(
      deals({ orderNumber: 'K-1', status: 'a', orderDate: '2024-07-01T00:00:00+00:00' }),
    );
    expect(await redis.hget(`${prefix}:order:K-1`, 'seq')).toBe('2');
    expect(await redis.ttl(`${prefix}:order:K-1`)).toBeGreaterThan(86_400);
  });
});
