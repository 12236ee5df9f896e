import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { verifyLeadSignature } from '@touchline/leads';
import {
  CLI,
  ROOT,
  freePort,
  startRedisServer,
  stop,
  waitFor,
  type RedisServer,
} from '@touchline/testing';
import { importable, metric, startStack, type Stack } from './stack.ts';

const CRM_SECRET = 'e2e-crm-webhook-secret';
const LEADS_SECRET = 'e2e-leads-webhook-secret';

/** The CRM's side of the leads flow: checks each signature, counts 2xx answers per requestId. */
async function startCrm(): Promise<{
  app: FastifyInstance;
  url: string;
  accepted: Map<string, number>;
  badSignatures: () => number;
}> {
  const accepted = new Map<string, number>();
  let bad = 0;
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  app.post('/leads', async (request, reply) => {
    const raw = String(request.body);
    if (!verifyLeadSignature(raw, request.headers, LEADS_SECRET)) {
      bad += 1;
      return reply.code(401).send();
    }
    const key = String(request.headers['idempotency-key']);
    accepted.set(key, (accepted.get(key) ?? 0) + 1);
    return reply.code(200).send({ ok: true });
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `${url}/leads`, accepted, badSignatures: () => bad };
}

/** Posts deals as a CRM does: again and again until the listener answers 202. */
async function postDeals(listener: string, orders: object[]): Promise<number> {
  let refused = 0;
  await waitFor(
    async () => {
      const res = await fetch(`${listener}/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${CRM_SECRET}` },
        body: JSON.stringify({ orders }),
      }).catch(() => undefined);
      if (res && res.status >= 400 && res.status < 500)
        throw new Error(`listener refused the deals: ${res.status} ${await res.text()}`);
      if (res?.status === 202) return true;
      refused += 1;
      return false;
    },
    { timeoutMs: 30_000, intervalMs: 100, message: 'the listener accepted the deals' },
  );
  return refused;
}

const deal = (n: number, status: string) => ({
  orderNumber: `E2E-${n}`,
  status,
  orderDate: '2026-11-20T10:00:00+03:00',
  phones: [`7916${String(1_000_000 + n)}`],
  revenue: n * 10,
});

let stack: Stack | undefined;
let redisServer: RedisServer | undefined;
let crm: Awaited<ReturnType<typeof startCrm>> | undefined;
afterEach(async () => {
  await stack?.close();
  await redisServer?.stop();
  await crm?.app.close();
  stack = undefined;
  redisServer = undefined;
  crm = undefined;
});

describe('the whole pipeline, every role a process, every fault at once', () => {
  it('calls, orders and leads all arrive: worker SIGKILL, Redis restart (AOF), MCN outage, 5xx and 429 storms', async () => {
    redisServer = await startRedisServer(['--appendonly', 'yes', '--appendfsync', 'always']);
    crm = await startCrm();
    // One answer in ten is a 503 from the start to the end of the test.
    stack = await startStack(redisServer.url, {
      calltouch: {
        latencyMs: { min: 20, max: 120 },
        historyDays: 0,
        faults: { errorShare: 0.1, errorStatus: 503 },
      },
      mcn: { historyDays: 0, callsPerDay: 0, liveCallsPerMinute: 0, malformedShare: 0 },
    });
    const { mcn, calltouch } = stack.sandbox;
    const listenerPort = await freePort();
    const listener = `http://127.0.0.1:${listenerPort}`;
    const roleEnv = {
      MCN_POLL_INTERVAL_SECONDS: '1',
      CRM_LISTENER_PORT: String(listenerPort),
      CRM_WEBHOOK_SECRET: CRM_SECRET,
      LEADS_WEBHOOK_URL: crm.url,
      LEADS_WEBHOOK_SECRET: LEADS_SECRET,
      LEADS_POLL_INTERVAL_SECONDS: '10',
    };

    const calls = importable(mcn.addCalls(1500, { inboundOnly: true }));
    const leads = calltouch.addRequests(15).map((r) => String(r.requestId));
    let workerA = await stack.start('worker', roleEnv);
    const workerB = await stack.start('worker', roleEnv);
    await stack.start('mcn-poller', roleEnv);
    await stack.start('crm-listener', roleEnv);
    await stack.start('leads', roleEnv);
    await waitFor(async () => (await fetch(`${listener}/readyz`).catch(() => undefined))?.ok, {
      timeoutMs: 30_000,
      message: 'listener ready',
    }).catch((err: unknown) => {
      throw new Error(`${String(err)}\nrole logs:\n${stack!.logs.slice(-30).join('\n')}`);
    });

    // Deals 1–100 created, half of them moved on twice; the final state is what counts.
    const finalStatus = new Map<string, string>();
    const sendDeals = async (orders: ReturnType<typeof deal>[]) => {
      const refused = await postDeals(listener, orders);
      for (const o of orders) finalStatus.set(o.orderNumber, o.status);
      return refused;
    };
    await sendDeals(Array.from({ length: 100 }, (_, i) => deal(i + 1, 'new')));
    await sendDeals(Array.from({ length: 50 }, (_, i) => deal(i + 1, 'qualified')));
    await sendDeals(Array.from({ length: 50 }, (_, i) => deal(i + 1, 'won')));

    // A worker killed mid-flight, and started again.
    await waitFor(() => Object.keys(calltouch.calls()).length >= 300, {
      message: 'calls flowing',
    });
    workerA.child.kill('SIGKILL');
    await stop(workerA.child);
    expect(Object.keys(calltouch.calls()).length).toBeLessThan(calls.length);
    workerA = await stack.start('worker', roleEnv);

    // MCN goes down while calls keep ending; a 429 storm meanwhile.
    mcn.setDown(true);
    calltouch.setFaults({ stormMs: 2_000, stormRetryAfterSeconds: 1 });
    calls.push(...importable(mcn.addCalls(200, { inboundOnly: true })));
    await waitFor(() => mcn.stats().requests.unavailable >= 2, { message: 'MCN outage met' });
    mcn.setDown(false);

    // Redis dies and comes back from its AOF; the CRM keeps posting meanwhile (503s, retries).
    await redisServer.kill();
    const duringOutage = sendDeals([
      ...Array.from({ length: 50 }, (_, i) => deal(i + 101, 'new')),
      ...Array.from({ length: 25 }, (_, i) => deal(i + 51, 'lost')),
    ]);
    await waitFor(
      () => stack!.logs.some((l) => /redis/i.test(l) && /"level":"(warn|error)"/.test(l)),
      {
        message: 'the roles notice Redis is gone',
      },
    );
    await redisServer.restart();
    const refusedDuringOutage = await duringOutage;
    leads.push(...calltouch.addRequests(10).map((r) => String(r.requestId)));
    calls.push(...importable(mcn.addCalls(100, { inboundOnly: true })));

    await waitFor(
      () =>
        calls.every((c) => calltouch.call(c.callid)) &&
        [...finalStatus].every(([n, s]) => calltouch.orders()[n]?.state['status'] === s) &&
        leads.every((id) => crm!.accepted.has(id)),
      { timeoutMs: 90_000, intervalMs: 250, message: 'every call, order and lead delivered' },
    );

    // The faults did happen.
    const stats = calltouch.stats();
    expect(stats.requests.byStatus['503'] ?? 0).toBeGreaterThan(0);
    expect(stats.requests.rateLimited).toBeGreaterThan(0);
    expect(refusedDuringOutage).toBeGreaterThan(0);

    // Calls: each exactly once, except re-sends of the unavoidable window, all counted.
    expect(stats.calls.unique).toBe(calls.length);
    const counted =
      (await metric(workerA.metricsPort, 'touchline_calltouch_items_total', {
        endpoint: 'calls_import',
        outcome: 'duplicate',
      })) +
      (await metric(workerB.metricsPort, 'touchline_calltouch_items_total', {
        endpoint: 'calls_import',
        outcome: 'duplicate',
      }));
    expect(stats.calls.duplicates).toBeLessThanOrEqual(counted);
    // Orders: every create came before any update of the same order.
    for (const n of finalStatus.keys())
      expect(calltouch.orders()[n]?.history[0]?.action, `first action of ${n}`).toBe('create');
    // Leads: each once, each signed.
    expect([...crm.accepted.values()].every((count) => count === 1)).toBe(true);
    expect(crm.badSignatures()).toBe(0);

    // What the operator checks: nothing pending, nothing parked.
    const env = { ...process.env, ...stack.env, LOG_LEVEL: 'warn' };
    await waitFor(
      async () => {
        const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'status', '--json'], {
          cwd: ROOT,
          env,
        });
        const status = JSON.parse(stdout) as { flows: { pending: number; parked: number }[] };
        return status.flows.every((f) => f.pending === 0 && f.parked === 0);
      },
      { timeoutMs: 20_000, intervalMs: 1_000, message: 'touchline status: all delivered' },
    );
  }, 240_000);
});
