import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '@touchline/metrics';
import {
  addJobsAtomically,
  createBatchConsumer,
  createFlowQueue,
  replayParked,
  toNewJob,
} from '@touchline/queue';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import {
  checkLeadSignature,
  createLeadsFlow,
  leadsFlowSpec,
  signLeadBody,
  toLeadPayload,
  verifyLeadSignature,
} from '../src/index.ts';

const leadJobId = (requestId: string | number) => leadsFlowSpec.jobId({ record: { requestId } });
import { startReceiver, type Behaviour } from './receiver.ts';
import { SECRET, ZONE } from './setup.ts';

const db = useTestRedis('leads-delivery');
const redis = db.redis;
let standIn: CalltouchStandIn;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  // Only its journal is used here: realistic records to deliver.
  standIn = await createCalltouchStandIn({ historyDays: 0, requestsPerDay: 0, timeZone: ZONE });
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
afterAll(async () => {
  await standIn.close();
});

async function leadsCount(registry: Registry, outcome: string): Promise<number> {
  const metric = registry.getSingleMetric('touchline_leads_total');
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => v.labels['outcome'] === outcome)?.value ?? 0;
}

/** A receiver, a delivery and a queue on a fresh prefix; `enqueue(n)` adds n journal leads. */
async function setup(behaviour: Behaviour, timeoutMs = 2_000) {
  const prefix = db.newPrefix();
  const receiver = await startReceiver(SECRET, behaviour);
  cleanup.push(() => receiver.close());
  const queue = createFlowQueue(leadsFlowSpec, redis, prefix);
  cleanup.push(() => queue.close());
  const registry = createRegistry();
  const { logger, lines } = memoryLogger('debug');
  const delivery = createBatchConsumer({
    flow: createLeadsFlow({
      logger,
      registry,
      webhookUrl: receiver.url,
      secret: SECRET,
      timeZone: ZONE,
      timeoutMs,
    }),
    connection: redis,
    prefix,
    logger,
  });
  cleanup.push(() => delivery.close());
  await delivery.start();
  const enqueue = async (count: number) => {
    const records = standIn.addRequests(count);
    await addJobsAtomically(
      queue,
      records.map((record) => toNewJob(leadsFlowSpec, { record })),
    );
    return records;
  };
  return { prefix, receiver, queue, registry, delivery, enqueue, lines };
}

describe('leads delivery to the CRM webhook', () => {
  it('POSTs each lead alone: the normalised body, a valid signature, Idempotency-Key', async () => {
    const s = await setup(() => ({ status: 200 }));
    const [record] = await s.enqueue(1);
    await waitFor(() => s.receiver.accepted().size === 1, { message: 'one delivery' });
    const [got] = s.receiver.deliveries();
    expect(got?.headers['content-type']).toMatch(/^application\/json/);
    expect(got?.headers['idempotency-key']).toBe(String(record!.requestId));
    expect(verifyLeadSignature(got!.body, got!.headers, SECRET)).toBe(true);
    expect(verifyLeadSignature(got!.body, got!.headers, 'x')).toBe(false);
    // docs/leads.md: the body signature stays as it was, beside the timestamped one.
    expect(got?.headers['x-touchline-signature']).toBe(signLeadBody(got!.body, SECRET));
    const body = JSON.parse(got!.body) as Record<string, unknown>;
    expect(body).toEqual(JSON.parse(JSON.stringify(toLeadPayload(record, { timeZone: ZONE }))));
    expect(body['raw']).toEqual(record);
    expect(body['createdAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?\+03:00$/);
    await waitFor(async () => (await s.queue.getCompletedCount()) === 1);
    expect(await leadsCount(s.registry, 'delivered')).toBe(1);
    expect(await leadsCount(s.registry, 'duplicate')).toBe(0);
    // The secret never reaches a log line or the job.
    expect(JSON.stringify(s.lines())).not.toContain(SECRET);
    const job = await s.queue.getJob(leadJobId(record!.requestId));
    expect(JSON.stringify(job?.data)).not.toContain(SECRET);
  });

  it('a captured delivery replayed after the tolerance fails verification; a fresh one passes; a tampered body fails', async () => {
    const s = await setup(() => ({ status: 200 }));
    const before = Date.now();
    await s.enqueue(1);
    await waitFor(() => s.receiver.accepted().size === 1, { message: 'one delivery' });
    const [got] = s.receiver.deliveries();
    const sentAt = Number(
      /^t=(\d+),/.exec(String(got!.headers['x-touchline-timestamped-signature']))?.[1],
    );
    // Signed when it left, by Touchline's clock.
    expect(sentAt).toBeGreaterThanOrEqual(Math.floor(before / 1000));
    expect(sentAt).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const replayAt = (seconds: number) => ({ now: () => (sentAt + seconds) * 1000 });
    expect(got!.signatureValid).toBe(true);
    expect(verifyLeadSignature(got!.body, got!.headers, SECRET, replayAt(60))).toBe(true);
    // The same bytes and headers, replayed by whoever captured them.
    expect(checkLeadSignature(got!.body, got!.headers, SECRET, replayAt(301))).toBe('expired');
    expect(checkLeadSignature(got!.body, got!.headers, SECRET, replayAt(7 * 86_400))).toBe(
      'expired',
    );
    const tampered = got!.body.replace('"requestId":"', '"requestId":"9');
    expect(checkLeadSignature(tampered, got!.headers, SECRET)).toBe('mismatch');
  });

  it('a 4xx parks the lead with the receiver’s answer; replay delivers it once the receiver is fixed', async () => {
    let broken = true;
    const s = await setup(() =>
      broken
        ? { status: 422, body: '{"error":"pipeline stage \\"Leads\\" does not exist"}' }
        : { status: 201 },
    );
    const [record] = await s.enqueue(1);
    const id = leadJobId(record!.requestId);
    await waitFor(async () => (await s.queue.getFailedCount()) === 1, { message: 'parked' });
    const parked = await s.queue.getJob(id);
    expect(parked?.failedReason).toBe(
      'receiver answered HTTP 422: {"error":"pipeline stage \\"Leads\\" does not exist"}',
    );
    // Parked at once: no retry was spent on a refusal.
    expect(s.receiver.deliveries()).toHaveLength(1);
    expect(await leadsCount(s.registry, 'failed')).toBe(1);

    broken = false;
    expect(await replayParked(s.queue)).toMatchObject({ moved: 1 });
    await waitFor(async () => (await s.queue.getCompletedCount()) === 1, { message: 'replayed' });
    expect(s.receiver.accepted().get(String(record!.requestId))).toBe(1);
    expect(await leadsCount(s.registry, 'delivered')).toBe(1);
    expect(await leadsCount(s.registry, 'duplicate')).toBe(0);
  });

  it('a 5xx is retried with backoff and is not a duplicate (its answer came)', async () => {
    const s = await setup((n) =>
      n === 1 ? { status: 503, body: 'maintenance' } : { status: 200 },
    );
    const [record] = await s.enqueue(1);
    await waitFor(async () => (await s.queue.getCompletedCount()) === 1, {
      timeoutMs: 15_000,
      message: 'delivered after a retry',
    });
    const job = await s.queue.getJob(leadJobId(record!.requestId));
    expect(job?.attemptsMade).toBe(2);
    expect(s.receiver.deliveries().map((d) => d.status)).toEqual([503, 200]);
    expect(await leadsCount(s.registry, 'delivered')).toBe(1);
    expect(await leadsCount(s.registry, 'duplicate')).toBe(0);
  });

  it('a POST whose answer never came is re-sent and counted as a duplicate', async () => {
    const s = await setup((n) => (n === 1 ? 'hang' : { status: 200 }), 300);
    const [record] = await s.enqueue(1);
    await waitFor(async () => (await s.queue.getCompletedCount()) === 1, {
      timeoutMs: 15_000,
      message: 'delivered after a timeout',
    });
    const requestId = String(record!.requestId);
    // The receiver saw it twice (the first one hung), and accepted it once.
    expect(s.receiver.deliveries().filter((d) => d.requestId === requestId)).toHaveLength(2);
    expect(s.receiver.accepted().get(requestId)).toBe(1);
    expect(await leadsCount(s.registry, 'delivered')).toBe(1);
    expect(await leadsCount(s.registry, 'duplicate')).toBe(1);
    const job = await s.queue.getJob(leadJobId(requestId));
    expect(job?.returnvalue).toEqual({ status: 200, duplicate: true });
  });

  it('an answer of megabytes is not read: its status decides, once (2xx delivered, 4xx parked)', async () => {
    const page = `<html>${'x'.repeat(3 * 1024 * 1024)}</html>`;
    const s = await setup((n) =>
      n === 1 ? { status: 200, body: page } : { status: 400, body: page },
    );
    const [first, second] = await s.enqueue(2);
    await waitFor(async () => (await s.queue.getCompletedCount()) === 1, { message: 'delivered' });
    await waitFor(async () => (await s.queue.getFailedCount()) === 1, { message: 'parked' });
    const delivered = await s.queue.getJob(leadJobId(first!.requestId));
    const parked = await s.queue.getJob(leadJobId(second!.requestId));
    expect(delivered?.returnvalue).toEqual({ status: 200, duplicate: false });
    expect(parked?.failedReason).toBe(
      'receiver answered HTTP 400: (an answer larger than 1048576 bytes, not read)',
    );
    // Each was sent once: the status was enough, nothing was retried or sent twice.
    expect(s.receiver.deliveries()).toHaveLength(2);
    expect(await leadsCount(s.registry, 'delivered')).toBe(1);
    expect(await leadsCount(s.registry, 'duplicate')).toBe(0);
  });

  it('a job that is not a lead is parked with the reason', async () => {
    const s = await setup(() => ({ status: 200 }));
    await addJobsAtomically(s.queue, [
      { name: 'lead', data: { record: { subject: 'no id' } }, opts: { jobId: 'lead-broken' } },
    ]);
    await waitFor(async () => (await s.queue.getFailedCount()) === 1, { message: 'parked' });
    expect((await s.queue.getJob('lead-broken'))?.failedReason).toMatch(/^invalid job data/);
    expect(s.receiver.deliveries()).toHaveLength(0);
  });
});
