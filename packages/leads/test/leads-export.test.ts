import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Queue } from 'bullmq';
import { createRegistry } from '@touchline/metrics';
import {
  createCalltouchStack,
  createPointsBudget,
  type PointsBudget,
} from '@touchline/calltouch-delivery';
import { createBatchConsumer, createFlowQueue } from '@touchline/queue';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import {
  createLeadsExporter,
  createLeadsFlow,
  leadsFlowSpec,
  leadsKeys,
  readLeadsExportState,
} from '../src/index.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { SECRET, ZONE, at, journalIds } from './setup.ts';

const db = useTestRedis('leads-export');
const redis = db.redis;
let standIn: CalltouchStandIn;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  standIn = await createCalltouchStandIn({
    historyDays: 0,
    requestsPerDay: 0,
    rateLimit: 50,
    latencyMs: { min: 0, max: 2 },
    timeZone: ZONE,
  });
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  standIn.reset();
});
afterAll(async () => {
  await standIn.close();
});

interface Setup {
  /** Statuses by which Calltouch says the points are exhausted (CALLTOUCH_POINTS_EXHAUSTED_STATUS). */
  exhaustedStatuses?: number[];
  /** A budget with the test's clock instead of the stack's. */
  budget?: (prefix: string, now: () => number) => PointsBudget;
  maxDaysPerTick?: number;
  startIso: string;
}

/** One exporter on its own prefix, with a clock the test moves; `restart()` builds a fresh one. */
function setup(options: Setup) {
  const prefix = db.newPrefix();
  const registry = createRegistry();
  const memory = memoryLogger('debug');
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
      limiter: { egressId: 'default', limit: 50, marginMs: 5 },
      exhausted: { statuses: options.exhaustedStatuses ?? [] },
    },
    redis,
    registry,
    memory.logger,
  );
  cleanup.push(() => stack.close());
  const queue = createFlowQueue(leadsFlowSpec, redis, prefix);
  cleanup.push(() => queue.close());
  const clock = { now: at(options.startIso) };
  const now = () => clock.now;
  const budget = options.budget?.(prefix, now) ?? stack.budget;
  const make = () =>
    createLeadsExporter({
      redis,
      queue,
      calltouch: { ...stack, budget, exhaustion: { ...stack.exhaustion, budget } },
      prefix,
      logger: memory.logger,
      registry,
      intervalMs: 60_000,
      timeZone: ZONE,
      ...(options.maxDaysPerTick ? { maxDaysPerTick: options.maxDaysPerTick } : {}),
      now,
    });
  return { prefix, registry, memory, queue, clock, budget, stack, exporter: make(), make };
}

/** requestIds of every job in the queue, whatever its state. */
async function queuedIds(queue: Queue): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting', 'active', 'completed', 'delayed', 'failed']);
  return jobs.map((j) => String(j.id).replace(/^lead-/, '')).sort();
}

const exports = () => standIn.stats().requests.byEndpoint.requests_export;

describe('leads export scheduler', () => {
  it('first run reads from the start of the Calltouch day; re-reads and restarts add nothing twice', async () => {
    const { exporter, queue, clock, prefix, make } = setup({ startIso: '2030-03-10T10:00:00' });
    standIn.addRequests(2, at('2030-03-09T23:59:59.500')); // yesterday: before the first checkpoint
    standIn.addRequests(3, at('2030-03-10T00:00:00.002'));
    standIn.addRequests(4, at('2030-03-10T09:58:00'));

    const first = await exporter.exportOnce();
    expect(first).toMatchObject({ slices: 1, caughtUp: true, summary: { read: 7, enqueued: 7 } });
    expect(await queuedIds(queue)).toEqual(journalIds(standIn, at('2030-03-10T00:00:00')));
    // The checkpoint trails the read by the overlap (5 minutes): late leads are still seen.
    expect(await redis.get(leadsKeys(prefix).checkpoint)).toBe(String(clock.now - 5 * 60_000));
    expect(exports()).toBe(1);

    // The next window overlaps the last one: the 09:58 leads are read again, not enqueued again.
    clock.now = at('2030-03-10T10:01:00');
    const second = await exporter.exportOnce();
    expect(second.summary).toEqual({ read: 4, enqueued: 0, duplicate: 4 });

    // A restarted exporter (fresh object, same Redis) goes on from the durable checkpoint.
    await exporter.close();
    const restarted = make();
    const fresh = standIn.addRequests(2, at('2030-03-10T10:01:30'));
    clock.now = at('2030-03-10T10:02:00');
    expect((await restarted.exportOnce()).summary).toEqual({ read: 6, enqueued: 2, duplicate: 4 });

    // Completed jobs are eventually removed; the per-day seen-set still refuses them.
    for (const job of await queue.getJobs(['waiting'])) await job.remove();
    clock.now = at('2030-03-10T10:03:00');
    expect((await restarted.exportOnce()).summary).toMatchObject({ enqueued: 0, duplicate: 6 });
    expect(fresh.map((r) => r.requestId)).toHaveLength(2);
    expect(await queue.getWaitingCount()).toBe(0);
  });

  it('downtime across midnight (and across days) leaves no gap: every lead delivered once', async () => {
    const receiver: Receiver = await startReceiver(SECRET);
    cleanup.push(() => receiver.close());
    const s = setup({ startIso: '2030-03-10T23:40:00', maxDaysPerTick: 2 });
    const delivery = createBatchConsumer({
      flow: createLeadsFlow({
        logger: s.memory.logger,
        registry: s.registry,
        webhookUrl: receiver.url,
        secret: SECRET,
        timeZone: ZONE,
        timeoutMs: 2_000,
      }),
      connection: redis,
      prefix: s.prefix,
      logger: s.memory.logger,
    });
    cleanup.push(() => delivery.close());
    await delivery.start();

    standIn.addRequests(5, at('2030-03-10T23:30:00'));
    expect((await s.exporter.exportOnce()).summary.enqueued).toBe(5);

    // Down from 23:40 to 00:30: leads keep coming on both sides of midnight, at its edges too.
    standIn.addRequests(3, at('2030-03-10T23:45:00'));
    standIn.addRequests(1, at('2030-03-10T23:59:59.999'));
    standIn.addRequests(1, at('2030-03-11T00:00:00.000'));
    standIn.addRequests(3, at('2030-03-11T00:07:00'));
    standIn.addRequests(2, at('2030-03-11T00:29:59.100'));
    s.clock.now = at('2030-03-11T00:30:00');
    const before = exports();
    const back = await s.exporter.exportOnce();
    expect(back).toMatchObject({ slices: 2, caughtUp: true, summary: { enqueued: 10 } });
    // One call per Calltouch day: the window [23:35, 00:30] is split at midnight.
    expect(exports() - before).toBe(2);

    // A longer outage: three days, read two days per tick.
    standIn.addRequests(2, at('2030-03-12T12:00:00'));
    standIn.addRequests(2, at('2030-03-13T15:00:00'));
    standIn.addRequests(1, at('2030-03-14T00:10:00'));
    s.clock.now = at('2030-03-14T01:00:00');
    const partial = await s.exporter.exportOnce();
    expect(partial).toMatchObject({ slices: 2, caughtUp: false });
    const rest = await s.exporter.exportOnce();
    expect(rest).toMatchObject({ slices: 2, caughtUp: true });
    expect(partial.summary.enqueued + rest.summary.enqueued).toBe(5);

    const all = journalIds(standIn);
    expect(all).toHaveLength(20);
    expect(await queuedIds(s.queue)).toEqual(all);
    await waitFor(() => receiver.accepted().size === all.length, {
      timeoutMs: 20_000,
      message: 'every lead accepted by the receiver',
    });
    expect([...receiver.accepted().keys()].sort()).toEqual(all);
    expect([...receiver.accepted().values()].every((n) => n === 1)).toBe(true);
    expect(receiver.deliveries().every((d) => d.signatureValid)).toBe(true);
  });

  it('the points budget pauses the export first; it resumes the next day and nothing is lost', async () => {
    const s = setup({
      startIso: '2030-03-10T12:00:00',
      budget: (prefix, now) =>
        createPointsBudget({
          redis,
          prefix,
          timeZone: ZONE,
          costs: { calls_import: 1, orders_create: 1, orders_update: 1, requests_export: 1 },
          budget: 10,
          now,
        }),
    });
    standIn.addRequests(3, at('2030-03-10T11:00:00'));
    expect((await s.exporter.exportOnce()).summary.enqueued).toBe(3);

    // Other traffic spends the budget down to 20%: the export stops, calls go on.
    for (let i = 0; i < 8; i++) await s.budget.spend('calls_import');
    standIn.addRequests(4, at('2030-03-10T13:00:00'));
    s.clock.now = at('2030-03-10T14:00:00');
    const before = exports();
    const paused = await s.exporter.exportOnce();
    expect(paused.paused).toMatch(/requests_export paused/);
    expect(exports()).toBe(before);
    await expect(s.budget.check('calls_import')).resolves.toBeUndefined();
    await expect(s.budget.check('orders_update')).resolves.toBeUndefined();
    const state = await readLeadsExportState(redis, s.prefix);
    expect(state.pausedUntil).toBe(at('2030-03-11T00:00:00'));
    expect(state.pausedReason).toMatch(/2 of 10 points left/);
    expect(await s.registry.getSingleMetricAsString('touchline_leads_export_paused')).toMatch(
      /touchline_leads_export_paused 1/,
    );
    expect(s.memory.lines().some((l) => String(l['msg']).includes('leads export paused'))).toBe(
      true,
    );

    // The new Calltouch day: the export resumes from its checkpoint and catches up.
    s.clock.now = at('2030-03-11T00:05:00');
    const resumed = await s.exporter.exportOnce();
    expect(resumed).toMatchObject({ slices: 2, caughtUp: true, summary: { enqueued: 4 } });
    expect(await queuedIds(s.queue)).toEqual(journalIds(standIn));
    expect((await readLeadsExportState(redis, s.prefix)).pausedUntil).toBeUndefined();
    expect(await s.registry.getSingleMetricAsString('touchline_leads_export_paused')).toMatch(
      /touchline_leads_export_paused 0/,
    );
  });

  it("Calltouch's 'points exhausted' answer (configured status) pauses everything until the day turns", async () => {
    const s = setup({
      startIso: '2030-03-10T12:00:00',
      exhaustedStatuses: [402, 503],
      budget: (prefix, now) =>
        createPointsBudget({
          redis,
          prefix,
          timeZone: ZONE,
          costs: { calls_import: 1, orders_create: 1, orders_update: 1, requests_export: 1 },
          now,
        }),
    });
    standIn.addRequests(2, at('2030-03-10T11:00:00'));
    standIn.setFaults({ errorShare: 1, errorStatus: 503 });
    const result = await s.exporter.exportOnce();
    expect(result.paused).toMatch(/points are exhausted \(HTTP 503\)/);
    expect((await s.budget.status()).exhaustedByCalltouch).toBe(true);
    // Everything waits now, not only the export.
    await expect(s.budget.check('calls_import')).rejects.toThrow(/paused/);
    // The first checkpoint is pinned even though the first read failed: no later day may move it.
    expect(await redis.get(leadsKeys(s.prefix).checkpoint)).toBe(String(at('2030-03-10T00:00:00')));
    expect(await s.queue.getWaitingCount()).toBe(0);

    standIn.setFaults({ clear: true });
    s.clock.now = at('2030-03-10T18:00:00');
    expect((await s.exporter.exportOnce()).paused).toBeDefined();
    s.clock.now = at('2030-03-11T00:01:00');
    const resumed = await s.exporter.exportOnce();
    expect(resumed).toMatchObject({ caughtUp: true, summary: { enqueued: 2 } });
    await expect(s.budget.check('calls_import')).resolves.toBeUndefined();
  });

  it('a 429 on the export slows the whole fleet down, and the same read goes again', async () => {
    const s = setup({ startIso: '2030-03-10T12:00:00' });
    standIn.addRequests(3, at('2030-03-10T11:00:00'));
    standIn.setFaults({ stormMs: 700, stormRetryAfterSeconds: 1 });
    const result = await s.exporter.exportOnce();
    expect(result).toMatchObject({ caughtUp: true, summary: { enqueued: 3 } });
    expect(result.error).toBeUndefined();
    // The pause is the fleet's: every process behind this egress waits it out.
    expect((await s.stack.limiter.state()).penalties).toBeGreaterThanOrEqual(1);
    expect(standIn.stats().requests.rateLimited).toBeGreaterThanOrEqual(1);
  });

  it('a failed export keeps the checkpoint and says why; the next tick retries', async () => {
    const s = setup({ startIso: '2030-03-10T12:00:00' });
    standIn.addRequests(2, at('2030-03-10T11:00:00'));
    standIn.setFaults({ errorShare: 1, errorStatus: 502 });
    const failed = await s.exporter.exportOnce();
    expect(failed.error).toMatch(/502/);
    expect(await redis.get(leadsKeys(s.prefix).checkpoint)).toBe(String(at('2030-03-10T00:00:00')));
    expect((await readLeadsExportState(redis, s.prefix)).lastError).toMatch(/502/);
    standIn.setFaults({ clear: true });
    expect((await s.exporter.exportOnce()).summary.enqueued).toBe(2);
    expect((await readLeadsExportState(redis, s.prefix)).lastError).toBeUndefined();
  });

  it('one exporter at a time across processes: a second one skips while the first holds the lease', async () => {
    const s = setup({ startIso: '2030-03-10T12:00:00' });
    standIn.addRequests(1, at('2030-03-10T11:00:00'));
    const other = s.make();
    const [a, b] = await Promise.all([s.exporter.exportOnce(), other.exportOnce()]);
    expect([a.skipped, b.skipped].filter(Boolean)).toHaveLength(1);
    expect(exports()).toBe(1);
    expect(await s.queue.getWaitingCount()).toBe(1);
  });

  it('runs on its interval once started, and close() waits for the running tick', async () => {
    const s = setup({ startIso: '2030-03-10T12:00:00' });
    standIn.addRequests(3, at('2030-03-10T11:00:00'));
    await s.exporter.start();
    await s.exporter.start();
    await waitFor(async () => (await s.queue.getWaitingCount()) === 3, { message: '3 leads' });
    await s.exporter.close();
    await s.exporter.close();
    expect(exports()).toBe(1);
  });
});
