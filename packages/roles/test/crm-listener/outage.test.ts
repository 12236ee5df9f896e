import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, uniquePrefix, waitFor, type RedisServer } from '@touchline/testing';
import { deal, startHarness, type Harness } from './helpers.ts';

let server: RedisServer;
let h: Harness;
const prefix = uniquePrefix('crm-outage');

beforeAll(async () => {
  server = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
  h = await startHarness(server.url, prefix);
});
afterAll(async () => {
  await h.close();
  await server.stop();
});

describe('CRM listener when Redis goes away', () => {
  it('answers 503 with Retry-After, and the retry after recovery doubles nothing', async () => {
    const body = { orders: [deal('O-1'), deal('O-2')] };
    expect((await h.post(body)).status).toBe(202);
    const later = { orders: [deal('O-1', { status: 'Оплачена' }), deal('O-3')] };

    await server.kill();
    const refused = await h.post(later);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);

    await server.restart();
    // The CRM retries until it gets its 202; the first body is resent too (a lost answer).
    await waitFor(async () => (await h.post(later)).status === 202, {
      timeoutMs: 15_000,
      message: 'listener accepts again',
    });
    expect((await h.post(later)).status).toBe(202);
    expect((await h.post(body)).status).toBe(202);

    const redis = new Redis(server.url);
    try {
      const ids = (await h.queue.getJobs(['waiting'])).map((j) => j.id).sort();
      // O-1 went back to its first state after the second body: that is a change (seq 3).
      expect(ids).toEqual([
        'order-O-1-1',
        'order-O-1-2',
        'order-O-1-3',
        'order-O-2-1',
        'order-O-3-1',
      ]);
      expect(await redis.hget(`${prefix}:order:O-3`, 'seq')).toBe('1');
    } finally {
      redis.disconnect();
    }
    const warned = h.lines().filter((l) => String(l['msg']).includes('503'));
    expect(warned.length).toBeGreaterThan(0);
  });
});
