import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, useTestRedis } from '@touchline/testing';
import { counter, deal, sign, SECRET, startHarness, type Harness } from './helpers.ts';

const { redis, prefix } = useTestRedis('crm');
let h: Harness;

beforeAll(async () => {
  h = await startHarness(TEST_REDIS_URL, prefix);
});
afterAll(async () => {
  await h.close();
});

const jobCount = () => h.queue.getJobCountByTypes('waiting', 'delayed', 'active', 'completed');

describe('POST /v1/orders', () => {
  it('accepts one deal and a batch, with jobs and merged state in Redis', async () => {
    const one = await h.post(deal('A-1'));
    expect(one.status).toBe(202);
    expect(await one.json()).toEqual({ accepted: 1 });
    const many = await h.post({ orders: [deal('A-2'), deal(3, { revenue: 250.5 })] });
    expect(many.status).toBe(202);
    expect(await many.json()).toEqual({ accepted: 2 });
    const job = await h.queue.getJob('order-A-1-1');
    expect(job?.data).toMatchObject({ orderNumber: 'A-1', seq: 1, deal: { status: 'Новая' } });
    expect(await h.queue.getJob('order-3-1')).toBeTruthy();
    const state = await redis.hgetall(`${prefix}:order:3`);
    expect(JSON.parse(state['revenue'] ?? '')).toBe('250.5');
    expect(JSON.parse(state['orderDate'] ?? '')).toBe('2024-07-19T13:42:32.000Z');
    // statusDate defaults to orderDate for the first state.
    expect(state['statusDate']).toBe(state['orderDate']);
    expect(await counter(h.registry, 'accepted')).toBe(3);
  });

  it('takes the same body twice as one job (a CRM retry has no second effect)', async () => {
    const body = { orders: [deal('R-1'), deal('R-2')] };
    expect((await h.post(body)).status).toBe(202);
    const before = await jobCount();
    expect((await h.post(body)).status).toBe(202);
    expect(await jobCount()).toBe(before);
    expect(await redis.hget(`${prefix}:order:R-1`, 'seq')).toBe('1');
  });

  it('merges later states: omitted fields stay, seq rises only on change', async () => {
    expect((await h.post(deal('M-1', { comment: 'первый' }))).status).toBe(202);
    const second = {
      orderNumber: 'M-1',
      status: 'Оплачена',
      orderDate: '2024-07-19T16:42:32+03:00',
    };
    const before = Date.now();
    expect((await h.post(second)).status).toBe(202);
    const state = await redis.hgetall(`${prefix}:order:M-1`);
    expect(state['seq']).toBe('2');
    expect(JSON.parse(state['status'] ?? '')).toBe('Оплачена');
    expect(JSON.parse(state['comment'] ?? '')).toBe('первый');
    expect(JSON.parse(state['revenue'] ?? '')).toBe('1000.00');
    // A later status change without statusDate is dated when it was received.
    expect(Date.parse(JSON.parse(state['statusDate'] ?? '') as string)).toBeGreaterThanOrEqual(
      before - 5,
    );
    expect(await h.queue.getJob('order-M-1-2')).toBeTruthy();
    expect((await h.post(second)).status).toBe(202);
    expect(await redis.hget(`${prefix}:order:M-1`, 'seq')).toBe('2');
  });

  it('escapes ":" in job ids without letting two order numbers collide', async () => {
    expect((await h.post({ orders: [deal('x:1'), deal('x%3A1')] })).status).toBe(202);
    expect(await h.queue.getJob('order-x%3A1-1')).toBeTruthy();
    expect(await h.queue.getJob('order-x%253A1-1')).toBeTruthy();
  });

  const defects: [string, unknown, string][] = [
    ['missing orderNumber', { status: 'a', orderDate: '2024-01-01T00:00:00Z' }, 'orderNumber'],
    ['empty orderNumber', deal('  '), 'orderNumber'],
    ['bad orderDate', deal('D-1', { orderDate: '19.07.2024' }), 'orderDate'],
    ['impossible orderDate', deal('D-1', { orderDate: '2024-02-30T10:00:00Z' }), 'orderDate'],
    ['bad revenue', deal('D-1', { revenue: '10 руб' }), 'revenue'],
    ['bad email', deal('D-1', { emails: ['not-an-email'] }), 'emails.0'],
    ['wrong types', deal('D-1', { status: 5, tags: 'vip' }), 'status'],
    ['missing status', { orderNumber: 'D-1', orderDate: '2024-01-01T00:00:00Z' }, 'status'],
  ];
  it.each(defects)(
    'refuses %s with 400 naming the field, nothing enqueued',
    async (_n, body, path) => {
      const before = await jobCount();
      const response = await h.post(body);
      expect(response.status).toBe(400);
      const answer = (await response.json()) as { error: string; issues: { path: string }[] };
      expect(answer.error).toBe('invalid');
      expect(answer.issues.map((i) => i.path)).toContain(path);
      expect(await jobCount()).toBe(before);
    },
  );

  it('lists every problem of every deal of a batch and enqueues none of them', async () => {
    const before = await jobCount();
    const orders = [
      deal('B-1'),
      deal('B-2', { orderDate: 'yesterday' }),
      deal('B-3'),
      deal('', { revenue: 'x' }),
    ];
    const response = await h.post({ orders });
    expect(response.status).toBe(400);
    const { issues } = (await response.json()) as { issues: { path: string }[] };
    expect(issues.map((i) => i.path).sort()).toEqual(
      ['orders.1.orderDate', 'orders.3.orderNumber', 'orders.3.revenue'].sort(),
    );
    expect(await jobCount()).toBe(before);
    expect(await redis.exists(`${prefix}:order:B-1`)).toBe(0);
  });

  it('refuses a year before 1900 and an orderNumber it cannot keep, naming field and problem', async () => {
    const before = await jobCount();
    const response = await h.post({
      orders: [
        deal('Y-1', { orderDate: '0050-01-01T00:00:00Z' }),
        deal(1e21),
        deal('Y-3', { statusDate: '1899-12-31T10:00:00+03:00' }),
        deal(1.5),
      ],
    });
    expect(response.status).toBe(400);
    const { issues } = (await response.json()) as { issues: { path: string; message: string }[] };
    expect(issues.map((i) => i.path)).toEqual([
      'orders.0.orderDate',
      'orders.1.orderNumber',
      'orders.2.statusDate',
      'orders.3.orderNumber',
    ]);
    expect(issues[0]?.message).toBe('year 50 is before 1900');
    expect(issues[1]?.message).toMatch(/whole number .*got 1e\+21/);
    expect(issues[2]?.message).toBe('year 1899 is before 1900');
    expect(issues[3]?.message).toMatch(/send large or fractional ids as strings \(got 1\.5\)/);
    expect(await jobCount()).toBe(before);
    expect(await redis.exists(`${prefix}:order:Y-1`)).toBe(0);
  });

  it('refuses more than 1,000 deals and an empty list', async () => {
    const big = { orders: Array.from({ length: 1001 }, (_, i) => deal(`T-${i}`)) };
    const response = await h.post(big);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain('orders');
    expect((await h.post({ orders: [] })).status).toBe(400);
    expect(await redis.exists(`${prefix}:order:T-0`)).toBe(0);
  });

  it('refuses malformed JSON with 400, not 5xx', async () => {
    const response = await h.post(undefined, { raw: '{"orderNumber": ' });
    expect(response.status).toBe(400);
  });

  it('refuses missing or wrong credentials with 401, counting each request once', async () => {
    const before = await jobCount();
    const unauthorized = await counter(h.registry, 'unauthorized');
    const raw = JSON.stringify({ orders: [deal('U-1'), deal('U-2')] });
    const none = await h.post(undefined, { raw, headers: { authorization: '' } });
    expect(none.status).toBe(401);
    const wrong = await h.post(undefined, { raw, headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const badSig = await h.post(undefined, {
      raw,
      headers: { authorization: '', 'x-touchline-signature': sign(`${raw} `) },
    });
    expect(badSig.status).toBe(401);
    // A right token does not excuse a wrong signature.
    const mixed = await h.post(undefined, {
      raw,
      headers: { 'x-touchline-signature': 'sha256=' + '0'.repeat(64) },
    });
    expect(mixed.status).toBe(401);
    expect(await jobCount()).toBe(before);
    expect(await counter(h.registry, 'unauthorized')).toBe(unauthorized + 4);
  });

  it('accepts a correct HMAC signature of the raw body without a token', async () => {
    const raw = `{ "orderNumber": "S-1", "status": "new", "orderDate": "2024-07-19T10:00:00Z" }`;
    const response = await h.post(undefined, {
      raw,
      headers: { authorization: '', 'x-touchline-signature': sign(raw) },
    });
    expect(response.status).toBe(202);
    expect(await h.queue.getJob('order-S-1-1')).toBeTruthy();
  });

  it('answers 415 for other content types and 413 over the size limit', async () => {
    const text = await fetch(`${h.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${SECRET}` },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    const huge = await h.post(undefined, {
      raw: JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);
  });

  it('serves /healthz, /readyz and metrics', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${h.role.url('ops-server')}/metrics`);
    expect(await metrics.text()).toContain('touchline_crm_orders_total{outcome="accepted"');
  });
});
