import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { parseConfig, schemas, type CrmListenerConfig } from '@touchline/config';
import type { Registry } from '@touchline/metrics';
import { signBody } from '@touchline/orders';
import { memoryLogger, waitFor } from '@touchline/testing';
import { crmListenerRole } from '../../src/index.ts';
import { startRole, type TestRole } from '../run-role.ts';

export const SECRET = 'test-secret-0123456789abcdef';

export function listenerConfig(redisUrl: string, prefix: string): CrmListenerConfig {
  return parseConfig(schemas.crmListener, {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
    CRM_LISTENER_PORT: '0',
    CRM_WEBHOOK_SECRET: SECRET,
    CALLTOUCH_TIMEZONE: 'Europe/Moscow',
  });
}

export interface Harness {
  readonly role: TestRole;
  readonly registry: Registry;
  readonly url: string;
  readonly queue: Queue;
  readonly lines: () => Record<string, unknown>[];
  post(body: unknown, init?: { headers?: Record<string, string>; raw?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startHarness(redisUrl: string, prefix: string): Promise<Harness> {
  const { logger, lines } = memoryLogger('info');
  const role = await startRole(
    crmListenerRole({ host: '127.0.0.1' }),
    listenerConfig(redisUrl, prefix),
    { logger },
  );
  const registry = role.ctx.registry;
  const url = role.url('crm-listener');
  await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, {
    message: 'listener ready',
  });
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  connection.on('error', () => undefined);
  const queue = new Queue('orders', { connection, prefix });
  queue.on('error', () => undefined);
  return {
    role,
    registry,
    url,
    queue,
    lines,
    post: (body, init = {}) => {
      const raw = init.raw ?? JSON.stringify(body);
      return fetch(`${url}/v1/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${SECRET}`,
          ...init.headers,
        },
        body: raw,
      });
    },
    async close() {
      await role.stop();
      await queue.close();
      connection.disconnect();
    },
  };
}

export const sign = (raw: string) => signBody(SECRET, raw);

export const deal = (n: string | number, extra: Record<string, unknown> = {}) => ({
  orderNumber: n,
  status: 'Новая',
  orderDate: '2024-07-19T16:42:32+03:00',
  revenue: '1000.00',
  phones: ['+7 (915) 777-11-22'],
  emails: ['name@server.com'],
  tags: ['Тег1'],
  ...extra,
});

export async function counter(registry: Registry, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('touchline_crm_orders_total')?.get();
  return metric?.values.find((v) => v.labels['outcome'] === outcome)?.value ?? 0;
}
