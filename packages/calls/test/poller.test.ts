import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { createMcnClient } from '@touchline/mcn';
import { createRegistry, type Registry } from '@touchline/metrics';
import { createFlowQueue, createWakeSignal } from '@touchline/queue';
import { createMcnStandIn, type McnStandIn } from '@touchline/sandbox';
import { TEST_REDIS_URL, memoryLogger, useTestRedis, waitFor } from '@touchline/testing';
import {
  callJobSchema,
  callsFlowSpec,
  createMcnPoller,
  pollerKeys,
  type McnPollerOptions,
} from '../src/index.ts';

const ZONE = 'Europe/Moscow';
const at = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toJSDate();
const db = useTestRedis('poller');
const redis = db.redis;
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A quiet MCN stand-in and a poller on a fresh prefix, both on the test's clock. */
async function setup(startIso: string, overrides: Partial<McnPollerOptions> = {}) {
  const clock = { now: at(startIso) };
  const now = () => clock.now;
  const mcn: McnStandIn = await createMcnStandIn({
    historyDays: 0,
    callsPerDay: 0,
    liveCallsPerMinute: 0,
    malformedShare: 0,
    now,
  });
  cleanup.push(() => mcn.close());
  const prefix = overrides.prefix ?? db.newPrefix();
  const queue = createFlowQueue(callsFlowSpec, redis, prefix);
  cleanup.push(() => queue.close());
  const registry: Registry = createRegistry();
  const memory = memoryLogger('debug');
  const poller = createMcnPoller({
    redis,
    queue,
    client: createMcnClient({
      apiUrl: mcn.url,
      token: mcn.token,
      accountId: mcn.accountId,
      vpbxId: mcn.vpbxId,
    }),
    prefix,
    logger: memory.logger,
    registry,
    intervalMs: 3_600_000,
    mapping: { mcnTimeZone: ZONE, calltouchTimeZone: ZONE },
    now,
    ...overrides,
  });
  cleanup.push(() => poller.close());
  const requests = () => mcn.stats().requests.ok;
  const jobIds = async (state: 'waiting' | 'prioritized') =>
    (await queue.getJobs([state], 0, -1)).map((j) => callJobSchema.parse(j.data).mcn.callid);
  return { clock, mcn, prefix, queue, registry, memory, poller, requests, jobIds };
}

const metric = async (registry: Registry, outcome: string) => {
  const values = (await registry.getSingleMetric('touchline_mcn_calls_total')?.get())?.values;
  return values?.filter((v) => v.labels['outcome'] === outcome).reduce((a, v) => a + v.value, 0);
};

describe('the MCN poller', () => {
  it('pins its first checkpoint before the first read: a first start that fails until after midnight skips no day', async () => {
    const s = await setup('2030-03-10T22:00:00');
    s.mcn.setDown(true);
    await s.poller.pollOnce();
    expect(await redis.get(pollerKeys(s.prefix).checkpoint)).toBe('2030-03-10');
    // Calls of the evening, while MCN does not answer us.
    const evening = s.mcn.addCalls(3, { at: at('2030-03-10T21:30:00'), inboundOnly: true });
    // MCN is back only after midnight plus the grace period (2 h).
    s.clock.now = at('2030-03-11T03:00:00');
    s.mcn.setDown(false);
    await s.poller.pollOnce();
    const queued = [...(await s.jobIds('waiting')), ...(await s.jobIds('prioritized'))];
    expect(queued.sort()).toEqual(evening.map((c) => c.callid).sort());
    expect(await redis.get(pollerKeys(s.prefix).checkpoint)).toBe('2030-03-11');
  });

  it('reads only the tail of a full day: a page or two per read, however many calls the day has', async () => {
    const s = await setup('2030-03-10T20:00:00');
    for (let h = 10; h < 20; h++)
      s.mcn.addCalls(300, { at: at(`2030-03-10T${String(h).padStart(2, '0')}:05:00`) });
    await s.poller.pollOnce(); // the first read of the day is whole
    const fresh = s.mcn.addCalls(5, { inboundOnly: true }); // ending now
    const before = s.requests();
    await s.poller.pollOnce();
    expect(s.requests() - before).toBeLessThanOrEqual(2);
    const live = await s.jobIds('waiting');
    for (const call of fresh) expect(live).toContain(call.callid);
  });

  it('puts calls that ended recently in the live lane and older ones in the backlog', async () => {
    const s = await setup('2030-03-10T20:00:00');
    const old = s.mcn.addCalls(4, { at: at('2030-03-10T17:00:00'), inboundOnly: true });
    const recent = s.mcn.addCalls(4, { inboundOnly: true });
    await s.poller.pollOnce();
    expect((await s.jobIds('waiting')).sort()).toEqual(recent.map((c) => c.callid).sort());
    expect((await s.jobIds('prioritized')).sort()).toEqual(old.map((c) => c.callid).sort());
  });

  it('counts and logs what only a full read found (a call the tail reads could not see)', async () => {
    const s = await setup('2030-03-10T20:00:00', {
      tailOverlapMs: 30 * 60_000,
      fullReadIntervalMs: 60 * 60_000,
    });
    for (let h = 10; h < 20; h++)
      s.mcn.addCalls(200, { at: at(`2030-03-10T${String(h).padStart(2, '0')}:10:00`) });
    await s.poller.pollOnce();
    // Logged only now, yet started at 17:00: the log keeps it among the calls of 17:00.
    const [late] = s.mcn.addCalls(1, { at: at('2030-03-10T17:00:00'), inboundOnly: true });
    s.clock.now = at('2030-03-10T20:10:00');
    await s.poller.pollOnce(); // a tail read: it cannot see that far back
    expect([...(await s.jobIds('prioritized'))]).not.toContain(late!.callid);
    s.clock.now = at('2030-03-10T21:15:00');
    await s.poller.pollOnce(); // the full read is due
    expect(await s.jobIds('prioritized')).toContain(late!.callid);
    expect(await metric(s.registry, 'full_read_only')).toBe(1);
    expect(s.memory.lines().some((l) => String(l['msg']).includes('the tail reads missed'))).toBe(
      true,
    );
  });

  it('spaces the reads events trigger by their cost: a long tail costs MCN a bounded rate', async () => {
    const prefix = db.newPrefix('poller-budget');
    const wake = createWakeSignal(pollerKeys(prefix).wake);
    const perMinute = 300; // 5 requests a second
    const s = await setup('2030-03-10T20:00:00', {
      wake,
      eventsMinGapMs: 100,
      eventsMaxRequestsPerMinute: perMinute,
      prefix,
    });
    // A busy hour: 4,500 calls that started within the tail's overlap, 5 pages per read.
    s.mcn.addCalls(4_500, { at: at('2030-03-10T19:30:00') });
    await s.poller.start();
    // The first poll reads the day whole; the events' reads come after it (one read at a time).
    await waitFor(
      () => s.memory.lines().some((l) => l['msg'] === 'MCN read done' && l['reason'] === 'poll'),
      { message: 'the first poll' },
    );
    const publisher = new Redis(TEST_REDIS_URL);
    cleanup.push(async () => publisher.disconnect());
    // An event every 20 ms, as on a day with a call ending every moment.
    const storm = setInterval(() => void wake.wake(publisher).catch(() => undefined), 20);
    cleanup.push(async () => clearInterval(storm));
    const eventReads = () =>
      s.memory
        .lines()
        .filter((l) => l['msg'] === 'MCN read done' && l['reason'] === 'event')
        .map((l) => ({
          start: Number(l['time']) - Number(l['durationMs']),
          requests: Number(l['requests']),
        }));
    await waitFor(() => eventReads().length >= 4, {
      timeoutMs: 20_000,
      message: 'four reads the events asked for',
    });
    clearInterval(storm);
    const reads = eventReads();
    for (let i = 1; i < reads.length; i++) {
      const previous = reads[i - 1]!;
      expect(previous.requests).toBeGreaterThanOrEqual(5);
      // Without the budget they would be 100 ms apart; 5 requests at 5 a second is 1 s. The
      // start is the log line's time less the read's duration, which leaves out the few ms
      // between the trigger's start and the read's (the lease, a Redis round trip): on a busy
      // host two reads' shares of those differ by a few ms, so the bound allows 50.
      expect(reads[i]!.start - previous.start).toBeGreaterThanOrEqual(
        (previous.requests * 60_000) / perMinute - 50,
      );
    }
  });

  it('turns a burst of 500 events into a bounded number of reads', async () => {
    const prefix = db.newPrefix('poller-wake');
    const wake = createWakeSignal(pollerKeys(prefix).wake);
    const s = await setup('2030-03-10T20:00:00', {
      wake,
      eventsMinGapMs: 1_000,
      eventFollowUpsMs: [300],
      prefix,
    });
    s.mcn.addCalls(50, { inboundOnly: true });
    await s.poller.start();
    await waitFor(async () => (await s.queue.getWaitingCount()) === 50, {
      message: 'the first poll',
    });
    const before = s.requests();
    const publisher = new Redis(TEST_REDIS_URL);
    cleanup.push(async () => publisher.disconnect());
    s.mcn.addCalls(5, { inboundOnly: true });
    await Promise.all(Array.from({ length: 500 }, () => wake.wake(publisher)));
    await waitFor(async () => (await s.queue.getWaitingCount()) === 55, {
      message: 'the read the events asked for',
    });
    // The burst makes one read now and one follow-up shortly after (a call may reach the log
    // after its event): wait for both, then count what the 500 events cost.
    const eventReads = () =>
      s.memory.lines().filter((l) => l['msg'] === 'MCN read done' && l['reason'] === 'event')
        .length;
    await waitFor(() => eventReads() >= 2, { message: 'the read and its follow-up' });
    const reads = s.requests() - before;
    expect(eventReads()).toBe(2);
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(4);
  });
});
