import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '@touchline/metrics';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { memoryLogger, useTestRedis } from '@touchline/testing';
import type { DeliveryContext } from '@touchline/queue';
import {
  NotSentError,
  TransientDeliveryError,
  createCalltouchStack,
  sendBatch,
  withInBatchRetry,
  type CalltouchStack,
} from '../src/index.ts';

const { redis, prefix } = useTestRedis('in-batch-retry');
let standIn: CalltouchStandIn;
let stack: CalltouchStack;

beforeAll(async () => {
  standIn = await createCalltouchStandIn({ rateLimit: 50, latencyMs: { min: 1, max: 5 } });
  stack = createCalltouchStack(
    {
      prefix,
      client: {
        apiUrl: standIn.url,
        atsUrl: standIn.url,
        siteId: 'sandbox',
        apiToken: 'sandbox',
        callsMode: 'lead-import',
        timeoutMs: 5_000,
      },
      limiter: { egressId: 'retry', limit: 40, marginMs: 10 },
    },
    redis,
    createRegistry(),
    memoryLogger('warn').logger,
  );
});
afterEach(() => standIn.reset());
afterAll(async () => {
  await stack.close();
  await standIn.close();
});

const marks = new Set<string>();
const ctx = (signal = new AbortController().signal): DeliveryContext => ({
  signal,
  inflight: {
    key: `${prefix}:orders:inflight`,
    mark: async (ids) => void ids.forEach((id) => marks.add(id)),
    clear: async (ids) => void ids.forEach((id) => marks.delete(id)),
  },
});
const items = [{ id: 'o-1', orderNumber: 'R-1' }];
const send = (c: DeliveryContext) => () =>
  sendBatch(
    items,
    (xs) =>
      stack.client.createOrders(
        xs.map((x) => ({
          orderNumber: x.orderNumber,
          status: 'new',
          orderDate: '10-07-2024 09:00:00',
        })),
      ),
    c,
    { limiter: stack.limiter, endpoint: 'orders_create' },
  );

describe('withInBatchRetry', () => {
  it('sends again after transient failures, up to the bound, and succeeds', async () => {
    standIn.setFaults({ nextStatuses: [500, 503] });
    const retried: number[] = [];
    const result = await withInBatchRetry(send(ctx()), {
      firstDelayMs: 10,
      onRetry: (_err, attempt) => retried.push(attempt),
    });
    expect(result.ok).toBe(true);
    expect(retried).toEqual([1, 2]);
    expect(standIn.stats().requests.byStatus).toMatchObject({ '500': 1, '503': 1, '200': 1 });
  });

  it('gives up after the bound with the transient failure', async () => {
    standIn.setFaults({ nextStatuses: [500, 500, 500, 0] });
    await expect(withInBatchRetry(send(ctx()), { firstDelayMs: 10 })).rejects.toBeInstanceOf(
      TransientDeliveryError,
    );
    expect(standIn.stats().requests.total).toBe(3);
  });

  it('does not retry a refusal (it is an answer about the items)', async () => {
    standIn.setFaults({ refuseOrders: ['R-1'] });
    const result = await withInBatchRetry(send(ctx()), { firstDelayMs: 10 });
    expect(result).toMatchObject({ ok: false, kind: 'rejected' });
    expect(standIn.stats().requests.total).toBe(1);
  });

  it('stops at once on shutdown during the pause: nothing more is sent', async () => {
    standIn.setFaults({ nextStatuses: [500, 0] });
    const stop = new AbortController();
    const pending = withInBatchRetry(send(ctx(stop.signal)), {
      firstDelayMs: 60_000,
      signal: stop.signal,
      onRetry: () => stop.abort(),
    });
    await expect(pending).rejects.toBeInstanceOf(NotSentError);
    expect(standIn.stats().requests.total).toBe(1);
  });
});
