import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '@touchline/metrics';
import { createCalltouchStack } from '../src/index.ts';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import { toCalltouchExportBound } from '@touchline/calltouch';

const ZONE = 'Europe/Moscow';
const COSTS = { calls_import: 1, orders_create: 2, orders_update: 3, requests_export: 5 };
const { redis, prefix } = useTestRedis('points-traffic');
let standIn: CalltouchStandIn;

beforeAll(async () => {
  standIn = await createCalltouchStandIn({
    historyDays: 1,
    requestsPerDay: 20,
    // Room above the limiter's rate: this test is about points, not the 429 ceiling.
    rateLimit: 50,
    latencyMs: { min: 5, max: 20 },
    pointsCost: COSTS,
    timeZone: ZONE,
  });
});
afterAll(async () => {
  await standIn.close();
});

async function metricValues(registry: Registry, name: string) {
  const metric = registry.getSingleMetric(name);
  return (await metric?.get())?.values ?? [];
}

describe('points counted through the stack', () => {
  it('match the stand-in’s own count after real traffic on every endpoint (rejections cost nothing)', async () => {
    const registry = createRegistry();
    const stack = createCalltouchStack(
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
        limiter: { egressId: 'default', limit: 20, marginMs: 20 },
        points: { timeZone: ZONE, costs: COSTS, budget: 1000 },
      },
      redis,
      registry,
      memoryLogger('warn').logger,
    );
    const { client, budget } = stack;
    const call = (n: number) => ({
      referenceId: `pt-${n}`,
      clientPhoneNumber: `7999000${String(n).padStart(4, '0')}`,
      callCenterPhoneNumber: '74950000000',
      callStartTime: '2026-11-24 10:00:00',
      waitingTime: 5,
      duration: 65,
      status: 'successful' as const,
      customSources: { source: 'mcn', medium: 'phone', campaign: 'офлайн-визит' },
    });
    const order = (n: number) => ({
      orderNumber: `PT-${n}`,
      status: 'Новая',
      orderDate: '24-11-2026 10:00:00',
    });
    const today = toCalltouchExportBound(Date.now(), ZONE).date;

    // Concurrent traffic through the one limiter: 5 imports, 3 creates, 2 exports at once…
    await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => client.importCalls([call(i)])),
      ...Array.from({ length: 3 }, (_, i) => client.createOrders([order(i)])),
      client.exportRequests({ dateFrom: today, dateTo: today }),
      client.exportRequests({ dateFrom: today, dateTo: today, timeFrom: '00:00:00' }),
    ]);
    // …then updates of those orders, and a rejected create (Calltouch charges successes only).
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        client.updateOrders([{ orderNumber: `PT-${i % 3}`, status: 'Оплачена' }]),
      ),
    );
    await expect(client.createOrders([order(0)])).rejects.toMatchObject({ code: 'REJECTED' });

    const theirs = standIn.stats().points;
    expect(theirs.byEndpoint).toEqual({
      calls_import: 5,
      orders_create: 6,
      orders_update: 12,
      requests_export: 10,
    });
    // Points are recorded right after each answer; wait for the last writes to land.
    const ours = await waitFor(async () => {
      const status = await budget.status();
      return status.total === theirs.total ? status : undefined;
    });
    expect(ours.spent).toEqual(theirs.byEndpoint);
    expect(ours.remaining).toBe(1000 - theirs.total);

    const spent = await metricValues(registry, 'touchline_calltouch_points_spent_total');
    expect(Object.fromEntries(spent.map((v) => [v.labels['endpoint'], v.value]))).toEqual(
      theirs.byEndpoint,
    );
    const remaining = await metricValues(registry, 'touchline_calltouch_points_remaining');
    expect(remaining[0]?.value).toBe(1000 - theirs.total);
    expect(standIn.stats().requests.rateLimited).toBe(0);
    await stack.close();
  });
});
