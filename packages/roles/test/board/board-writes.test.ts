import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FlowProducer, Worker, type Queue } from 'bullmq';
import { parseConfig, schemas } from '@touchline/config';
import { callsFlowSpec } from '@touchline/calls';
import { createFlowQueue } from '@touchline/queue';
import { TEST_REDIS_URL, freePort, testRedis, useTestRedis, waitFor } from '@touchline/testing';
import { boardRole } from '../../src/index.ts';
import { startRole, type TestRole } from '../run-role.ts';

/**
 * Every write route of @bull-board/api (9.10: `dist/routes.js`; packages/board/test checks that
 * this list and the guard's policy cover all of them) sent to a real board over HTTP, against
 * real jobs in every state on the shared Redis. What matters is what happens to the jobs, not the
 * status code: a refused `clean/failed` must leave the parked item where it was (issue 12 item 3).
 */
const { redis, prefix } = useTestRedis('board-writes');
let queue: Queue;
let flows: FlowProducer;
let readOnly: TestRole;
let writable: TestRole;

const boardConfig = async (extra: Record<string, string>) =>
  parseConfig(schemas.board, {
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'error',
    BOARD_PORT: String(await freePort()),
    METRICS_PORT: String(await freePort()),
    ...extra,
  });

const call = (id: string) => ({
  name: 'call',
  data: { referenceId: id, clientPhoneNumber: '79001234567' },
  opts: { jobId: id },
});

/**
 * The calls queue with an item in every state a board action could touch: delivered
 * (`done-1`, `done-2`), parked (`parked-1`), waiting (`pending-1`), delayed (`later-1`),
 * prioritized (`prio-1`), a parent waiting for its child (`parent-1`, `child-1`) and a job
 * scheduler (`sched-1`).
 */
async function seed(): Promise<void> {
  await queue.obliterate({ force: true });
  await queue.addBulk([
    call('done-1'),
    call('done-2'),
    { ...call('parked-1'), opts: { jobId: 'parked-1', attempts: 1 } },
  ]);
  const connection = testRedis();
  const worker = new Worker(
    'calls',
    async (job) => {
      if (job.id === 'parked-1') throw new Error('400: clientPhoneNumber is invalid');
      return { logId: 1 };
    },
    { connection, prefix },
  );
  await waitFor(
    async () => (await queue.getFailedCount()) === 1 && (await queue.getCompletedCount()) === 2,
    { message: 'seeded calls settled' },
  );
  await worker.close();
  connection.disconnect();
  await queue.add('call', call('pending-1').data, { jobId: 'pending-1' });
  await queue.add('call', call('later-1').data, { jobId: 'later-1', delay: 3_600_000 });
  await queue.add('call', call('prio-1').data, { jobId: 'prio-1', priority: 5 });
  await flows.add({
    name: 'parent',
    queueName: 'calls',
    data: { referenceId: 'parent-1' },
    opts: { jobId: 'parent-1' },
    children: [{ ...call('child-1'), queueName: 'calls' }],
  });
  await queue.upsertJobScheduler('sched-1', { every: 3_600_000 }, { name: 'tick', data: {} });
}

const ALL_STATES = [
  'completed',
  'failed',
  'delayed',
  'wait',
  'waiting-children',
  'prioritized',
  'paused',
  'active',
] as const;

/** Everything a board action could change: each job's state, data and priority, and the queue's settings. */
async function snapshot() {
  const jobs = await queue.getJobs([...ALL_STATES]);
  const states: Record<string, string> = {};
  for (const j of jobs) {
    const data: unknown = j.data;
    states[String(j.id)] = `${await j.getState()} p${j.priority} ${JSON.stringify(data)}`;
  }
  return {
    states,
    paused: await queue.isPaused(),
    schedulers: (await queue.getJobSchedulers()).map((s) => `${s.key} every=${s.every}`),
    concurrency: await queue.getGlobalConcurrency(),
    rateLimit: await queue.getGlobalRateLimit(),
    rateLimited: (await queue.getRateLimitTtl()) > 0,
  };
}
type Snapshot = Awaited<ReturnType<typeof snapshot>>;
const stateOf = (s: Snapshot, id: string) => s.states[id]?.split(' ')[0];

interface Write {
  readonly method: 'PUT' | 'POST' | 'PATCH';
  readonly path: string;
  /** A body that Bull Board would accept, so that only the guard stands in the way. */
  readonly body?: unknown;
}

const send = (board: TestRole, w: Write) =>
  fetch(`${board.url('board')}${w.path}`, {
    method: w.method,
    ...(w.body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(w.body) }),
  });

/** Writes that could drop, stall, reorder or inject items: refused in every mode. */
const REFUSED: readonly (Write & { readonly what: string; readonly status?: number })[] = [
  { what: 'pause every queue', method: 'PUT', path: '/api/queues/pause' },
  { what: 'resume every queue', method: 'PUT', path: '/api/queues/resume' },
  {
    what: 'add a job',
    method: 'POST',
    path: '/api/queues/calls/add',
    body: { name: 'call', data: { referenceId: 'injected' }, options: { jobId: 'injected' } },
  },
  ...(
    [
      'failed',
      'delayed',
      'wait',
      'waiting',
      'active',
      'paused',
      'prioritized',
      'waiting-children',
    ] as const
  ).map((status) => ({
    what: `clean ${status}`,
    method: 'PUT' as const,
    path: `/api/queues/calls/clean/${status}`,
  })),
  { what: 'retry delivered items', method: 'PUT', path: '/api/queues/calls/retry/completed' },
  { what: 'pause the queue', method: 'PUT', path: '/api/queues/calls/pause' },
  { what: 'resume the queue', method: 'PUT', path: '/api/queues/calls/resume' },
  {
    what: 'set the global concurrency',
    method: 'PUT',
    path: '/api/queues/calls/concurrency',
    body: { concurrency: 1 },
  },
  {
    what: 'set a BullMQ rate limit',
    method: 'PUT',
    path: '/api/queues/calls/rate-limit',
    body: { max: 1, duration: 60_000 },
  },
  {
    what: 'release the active rate limit',
    method: 'PUT',
    path: '/api/queues/calls/rate-limit/release',
  },
  { what: 'empty the queue', method: 'PUT', path: '/api/queues/calls/empty' },
  {
    what: 'obliterate the queue',
    method: 'PUT',
    path: '/api/queues/calls/obliterate',
    body: { force: true },
  },
  {
    what: 'remove a job scheduler',
    method: 'PUT',
    path: '/api/queues/calls/job-schedulers/sched-1/remove',
  },
  {
    what: 'change a job scheduler',
    method: 'PATCH',
    path: '/api/queues/calls/job-schedulers/sched-1',
    body: { every: 1000 },
  },
  {
    what: 'run a job scheduler now',
    method: 'PUT',
    path: '/api/queues/calls/job-schedulers/sched-1/run',
  },
  { what: 'retry a delivered item', method: 'PUT', path: '/api/queues/calls/done-1/retry' },
  { what: 'remove a parked item', method: 'PUT', path: '/api/queues/calls/parked-1/clean' },
  { what: 'remove a pending item', method: 'PUT', path: '/api/queues/calls/pending-1/clean' },
  { what: 'remove a delayed item', method: 'PUT', path: '/api/queues/calls/later-1/clean' },
  {
    what: 'edit job data',
    method: 'PATCH',
    path: '/api/queues/calls/parked-1/update-data',
    body: { jobData: { referenceId: 'edited' } },
  },
  {
    what: 'reschedule a delayed item',
    method: 'PATCH',
    path: '/api/queues/calls/later-1/delay',
    body: { runAt: Date.now() + 86_400_000 },
  },
  {
    what: 'change a priority',
    method: 'PATCH',
    path: '/api/queues/calls/prio-1/priority',
    body: { priority: 1 },
  },
  {
    what: 'remove unprocessed children',
    method: 'PUT',
    path: '/api/queues/calls/parent-1/remove-unprocessed-children',
  },
  {
    what: 'purge metrics history',
    method: 'POST',
    path: '/api/metrics/history/purge',
    body: {},
    // Registered only with a history provider, which Touchline does not configure.
    status: 404,
  },
];

/** Writes that cannot drop an item: allowed on a writable board, with the effect each should have. */
const ALLOWED: readonly (Write & {
  readonly what: string;
  /** Runs before the request. */
  readonly prepare?: () => Promise<unknown>;
  readonly effect: (before: Snapshot, after: Snapshot) => void;
})[] = [
  {
    what: 'retry every parked item',
    method: 'PUT',
    path: '/api/queues/calls/retry/failed',
    effect: (_b, a) => expect(stateOf(a, 'parked-1')).toBe('waiting'),
  },
  {
    what: 'retry one parked item',
    method: 'PUT',
    path: '/api/queues/calls/parked-1/retry',
    effect: (_b, a) => expect(stateOf(a, 'parked-1')).toBe('waiting'),
  },
  {
    what: 'promote every delayed item',
    method: 'PUT',
    path: '/api/queues/calls/promote',
    effect: (_b, a) => expect(stateOf(a, 'later-1')).toBe('waiting'),
  },
  {
    what: 'promote one delayed item',
    method: 'PUT',
    path: '/api/queues/calls/later-1/promote',
    effect: (_b, a) => expect(stateOf(a, 'later-1')).toBe('waiting'),
  },
  {
    what: 'clean delivered items',
    method: 'PUT',
    path: '/api/queues/calls/clean/completed',
    // Bull Board cleans only items finished more than 5 s ago (handlers/cleanAll.js).
    prepare: () =>
      redis.zadd(
        `${prefix}:calls:completed`,
        Date.now() - 60_000,
        'done-1',
        Date.now() - 60_000,
        'done-2',
      ),
    effect: (_b, a) => {
      expect(stateOf(a, 'done-1')).toBeUndefined();
      expect(stateOf(a, 'done-2')).toBeUndefined();
    },
  },
  {
    what: 'remove one delivered item',
    method: 'PUT',
    path: '/api/queues/calls/done-1/clean',
    effect: (_b, a) => expect(stateOf(a, 'done-1')).toBeUndefined(),
  },
];

/** The snapshot less what an allowed action may change: every other item is as it was. */
const untouchedBesides = (s: Snapshot, ids: readonly string[]) => ({
  ...s,
  states: Object.fromEntries(Object.entries(s.states).filter(([id]) => !ids.includes(id))),
});

beforeAll(async () => {
  queue = createFlowQueue(callsFlowSpec, redis, prefix);
  flows = new FlowProducer({ connection: redis, prefix });
  // BOARD_READ_ONLY unset: the default must be the safe one (docs/configuration.md).
  readOnly = await startRole(boardRole(), await boardConfig({}));
  writable = await startRole(boardRole(), await boardConfig({ BOARD_READ_ONLY: 'false' }));
});

afterAll(async () => {
  await readOnly?.stop();
  await writable?.stop();
  await flows?.close();
  await queue?.close();
});

beforeEach(seed);

describe('Bull Board write routes on real jobs', () => {
  it('the seed has an item in every state', async () => {
    const s = await snapshot();
    expect(
      Object.fromEntries(Object.keys(s.states).map((id) => [id, stateOf(s, id)])),
    ).toMatchObject({
      'done-1': 'completed',
      'parked-1': 'failed',
      'pending-1': 'waiting',
      'later-1': 'delayed',
      'prio-1': 'prioritized',
      'parent-1': 'waiting-children',
      'child-1': 'waiting',
    });
    expect(s.schedulers).toEqual(['sched-1 every=3600000']);
  });

  it('BOARD_READ_ONLY defaults to true', () => {
    expect(parseConfig(schemas.board, {}).BOARD_READ_ONLY).toBe(true);
  });

  describe.each([
    ['read-only (the default)', () => readOnly],
    ['writable', () => writable],
  ] as const)('%s board', (_mode, board) => {
    it.each(REFUSED.map((w) => [w.what, w] as const))(
      'refuses to %s and leaves every job as it was',
      async (_what, w) => {
        // An active BullMQ rate limit, so that releasing it would show.
        await redis.set(`${prefix}:calls:limiter`, '1', 'PX', 600_000);
        const before = await snapshot();
        const res = await send(board(), w);
        expect(res.status).toBe(w.status ?? 403);
        expect(await snapshot()).toEqual(before);
        expect(await queue.getJob('injected')).toBeUndefined();
      },
    );
  });

  it.each(ALLOWED.map((w) => [w.what, w] as const))(
    'read-only board refuses to %s too',
    async (_what, w) => {
      await w.prepare?.();
      const before = await snapshot();
      expect((await send(readOnly, w)).status).toBe(403);
      expect(await snapshot()).toEqual(before);
    },
  );

  it.each(ALLOWED.map((w) => [w.what, w] as const))(
    'writable board may %s, and nothing else changes',
    async (_what, w) => {
      await w.prepare?.();
      const before = await snapshot();
      const res = await send(writable, w);
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      const after = await snapshot();
      w.effect(before, after);
      const touched = ['parked-1', 'later-1', 'done-1', 'done-2'];
      expect(untouchedBesides(after, touched)).toEqual(untouchedBesides(before, touched));
      // A parked or pending item is never lost by an allowed action.
      for (const id of ['parked-1', 'pending-1', 'later-1', 'prio-1', 'child-1', 'parent-1'])
        expect(stateOf(after, id), id).toBeDefined();
    },
  );
});
