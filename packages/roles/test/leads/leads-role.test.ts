import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, schemas, type LeadsConfig } from '@touchline/config';
import { leadsFlowSpec } from '@touchline/leads';
import { createFlowQueue } from '@touchline/queue';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { TEST_REDIS_URL, freePort, memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import { leadsRole, type LeadsRoleOptions } from '../../src/index.ts';
import { startRole } from '../run-role.ts';
import { startReceiver, type Receiver } from '../../../leads/test/receiver.ts';

const ZONE = 'Europe/Moscow';
const SECRET = 'leads-role-SECRET-0b7c';
const { redis, prefix } = useTestRedis('leads-role');
let standIn: CalltouchStandIn;
let receiver: Receiver;

beforeAll(async () => {
  // The real Calltouch rate (5/s); an empty journal that the test fills while the role runs.
  standIn = await createCalltouchStandIn({
    historyDays: 0,
    requestsPerDay: 0,
    rateLimit: 5,
    latencyMs: { min: 5, max: 30 },
    timeZone: ZONE,
  });
  // Every 10th POST is answered 503: ~10% of deliveries fail and are retried.
  receiver = await startReceiver(SECRET, (n) =>
    n % 10 === 0 ? { status: 503, body: 'CRM busy' } : { status: 200 },
  );
});
afterAll(async () => {
  await receiver.close();
  await standIn.close();
});

async function config(env: Record<string, string>): Promise<LeadsConfig> {
  return parseConfig(schemas.leads, {
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    METRICS_PORT: String(await freePort()),
    CALLTOUCH_API_URL: standIn.url,
    CALLTOUCH_ATS_URL: standIn.url,
    CALLTOUCH_SITE_ID: 'sandbox',
    CALLTOUCH_API_TOKEN: 'sandbox',
    CALLTOUCH_TIMEZONE: ZONE,
    LOG_LEVEL: 'info',
    ...env,
  });
}

const options: LeadsRoleOptions = { intervalMs: 250, deliveryTimeoutMs: 5_000 };

describe('touchline leads', () => {
  it('with LEADS_WEBHOOK_URL unset it starts, says the export is off, and serves metrics and health', async () => {
    const { logger, lines } = memoryLogger('info');
    const cfg = await config({});
    expect(cfg.LEADS_WEBHOOK_URL).toBeUndefined();
    const role = await startRole(leadsRole(options), cfg, { logger });
    try {
      const base = `http://127.0.0.1:${cfg.METRICS_PORT}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('# TYPE touchline_leads_total counter');
      expect(lines().some((l) => String(l['msg']).includes('leads export is off'))).toBe(true);
      expect(standIn.stats().requests.byEndpoint.requests_export).toBe(0);
    } finally {
      await role.stop();
    }
  });

  it('300 leads, ~10% receiver 5xx, a restart mid-export: each delivered exactly once, signed', async () => {
    const { logger, lines } = memoryLogger('info');
    const env = { LEADS_WEBHOOK_URL: receiver.url, LEADS_WEBHOOK_SECRET: SECRET };
    const queue = createFlowQueue(leadsFlowSpec, redis, prefix);
    const accepted = () => receiver.accepted().size;

    standIn.addRequests(100);
    const first = await startRole(leadsRole(options), await config(env), { logger });
    await waitFor(() => accepted() >= 60, { timeoutMs: 20_000, message: '60 accepted' });
    standIn.addRequests(80);
    await waitFor(() => accepted() >= 120, { timeoutMs: 20_000, message: '120 accepted' });

    // Stop while leads are flowing: some are still queued, retrying, or not exported yet.
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed');
    const notDone = 180 - (counts['completed'] ?? 0);
    expect(notDone).toBeGreaterThan(0);
    await first.stop();

    standIn.addRequests(60); // arrive while the role is down
    const second = await startRole(leadsRole(options), await config(env), { logger });
    await waitFor(() => accepted() >= 220, { timeoutMs: 30_000, message: '220 accepted' });
    standIn.addRequests(60);
    await waitFor(() => accepted() === 300, { timeoutMs: 60_000, message: '300 accepted' });
    await waitFor(async () => (await queue.getCompletedCount()) === 300, {
      message: 'every job completed',
    });
    await second.stop();

    const journal = standIn
      .journal()
      .map((r) => String(r.requestId))
      .sort();
    expect(journal).toHaveLength(300);
    const got = receiver.accepted();
    expect([...got.keys()].sort()).toEqual(journal);
    expect([...got.values()].every((n) => n === 1)).toBe(true);

    const deliveries = receiver.deliveries();
    expect(deliveries.every((d) => d.signatureValid)).toBe(true);
    expect(deliveries.every((d) => d.headers['idempotency-key'] === d.requestId)).toBe(true);
    const refused = deliveries.filter((d) => d.status === 503);
    expect(refused.length).toBe(Math.floor(deliveries.length / 10));
    // Nothing was POSTed but the 300 acceptances and the refused attempts: no doubles.
    expect(deliveries.length).toBe(300 + refused.length);
    expect(await queue.getFailedCount()).toBe(0);
    expect(lines().filter((l) => l['msg'] === 'leads stopped')).toHaveLength(2);
    await queue.close();
  });
});
