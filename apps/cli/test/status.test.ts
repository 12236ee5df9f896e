import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type Queue } from 'bullmq';
import { parseConfig, schemas } from '@touchline/config';
import { createLimiter } from '@touchline/limiter';
import { callsFlowSpec } from '@touchline/calls';
import { createPointsBudget, limiterKey } from '@touchline/calltouch-delivery';
import { leadsFlowSpec, leadsKeys } from '@touchline/leads';
import { createFlowQueue } from '@touchline/queue';
import { createHeartbeat } from '@touchline/runtime';
import { TEST_REDIS_URL, freePort, testRedis, useTestRedis, waitFor } from '@touchline/testing';
import { EXIT_UNAVAILABLE, status, type StatusIo } from '../src/commands/status.ts';

const LEADS_CHECKPOINT = Date.parse('2026-03-01T09:00:00Z');

const CLI = fileURLToPath(new URL('../bin/touchline.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const { redis, prefix } = useTestRedis('status');
const env = {
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_PREFIX: prefix,
  CALLTOUCH_POINTS_DAILY_BUDGET: '100',
  CALLTOUCH_POINTS_COST: '{"calls_import":2}',
};
const config = parseConfig(schemas.status, env);
const queues: Queue[] = [];
const minute = 60_000;

interface StatusJson {
  flows: {
    flow: string;
    pending: number;
    waiting: number;
    delayed: number;
    oldestPendingSeconds: number;
    deliveredLastHour: number;
    deliveredSource: string;
    parked: number;
  }[];
  points: { spentTotal: number; remaining: number | null; budget: number | null; spent: object };
  mcn: { lastPollAgeSeconds: number; lagSeconds: number; lastError: string | null };
  leads: {
    checkpoint: number;
    lastPollAgeSeconds: number;
    lastError: string;
    pausedUntil: number;
    pausedReason: string;
  };
  limiter: { requestsPerSecond: number; granted: number; penalties: number };
  roles: { role: string; instanceId: string; alive: boolean }[];
}

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  const io: StatusIo = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), color: false };
  return { io, out: () => out.join(''), err: () => err.join('') };
};

const runCli = (args: string[], extraEnv: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, LOG_LEVEL: 'warn', ...extraEnv },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

const gone = createHeartbeat({ redis, prefix, role: 'mcn-poller', instanceId: 'old', ttlMs: 100 });
const alive = createHeartbeat({ redis, prefix, role: 'worker', instanceId: 'w-1' });

beforeAll(async () => {
  const now = Date.now();
  const calls = createFlowQueue(callsFlowSpec, redis, prefix);
  const leads = createFlowQueue(leadsFlowSpec, redis, prefix);
  queues.push(calls, leads);

  // 5 delivered and 2 parked calls, through a real BullMQ worker.
  await calls.addBulk([
    ...Array.from({ length: 5 }, (_, i) => ({
      name: 'call',
      data: { ok: true },
      opts: { jobId: `ok-${i}` },
    })),
    ...Array.from({ length: 2 }, (_, i) => ({
      name: 'call',
      data: { ok: false },
      opts: { jobId: `bad-${i}`, attempts: 1 },
    })),
  ]);
  const workerConnection = testRedis();
  const worker = new Worker(
    'calls',
    async (job) => {
      if (!(job.data as { ok: boolean }).ok) throw new Error('Calltouch: phone number is invalid');
      return 'delivered';
    },
    { connection: workerConnection, prefix },
  );
  await waitFor(
    async () => (await calls.getCompletedCount()) === 5 && (await calls.getFailedCount()) === 2,
    {
      message: '5 completed and 2 failed calls',
    },
  );
  await worker.close();
  workerConnection.disconnect();
  // A call delivered two hours ago, still kept: it must not count in the last hour.
  await redis.zadd(calls.toKey('completed'), now - 120 * minute, 'ok-old');
  // 3 waiting calls, the oldest accepted 10 minutes ago, and one delayed.
  await calls.add('call', { ok: true }, { jobId: 'w-0', timestamp: now - 10 * minute });
  await calls.add('call', { ok: true }, { jobId: 'w-1', timestamp: now - 2 * minute });
  await calls.add('call', { ok: true }, { jobId: 'w-2' });
  await calls.add('call', { ok: true }, { jobId: 'd-0', delay: 60 * minute });
  await leads.add('lead', { id: 1 }, { jobId: 'l-0', timestamp: now - 3 * minute });

  const budget = createPointsBudget({
    redis,
    prefix,
    timeZone: config.CALLTOUCH_TIMEZONE,
    costs: config.CALLTOUCH_POINTS_COST,
    budget: 100,
  });
  for (let i = 0; i < 3; i += 1) await budget.spend('calls_import');
  await budget.spend('orders_create');

  await redis.set(`${prefix}:mcn:checkpoint`, '2026-01-01');
  await redis.hset(`${prefix}:mcn:poller`, {
    lastPollAt: now - 30_000,
    readThrough: now - 90_000,
    lastError: 'MCN answered 503',
  });
  // The leads export: its checkpoint, a failed export 20 s ago, a pause by the points budget.
  await redis.set(leadsKeys(prefix).checkpoint, String(LEADS_CHECKPOINT));
  await redis.hset(leadsKeys(prefix).state, {
    lastPollAt: now - 20_000,
    lastError: 'Calltouch answered 502',
    pausedUntil: now + 3_600_000,
    pausedReason: 'requests_export paused: 5% of the budget left',
  });
  await redis.hset(limiterKey(prefix, 'default'), { granted: 40, penalties: 2 });

  await alive.start();
  await gone.beat();
  await waitFor(async () => !(await redis.exists(`${prefix}:heartbeat:mcn-poller:old`)), {
    message: 'the stale heartbeat to expire',
  });
});

afterAll(async () => {
  await alive.close();
  await Promise.all(queues.map((q) => q.close()));
});

const checkNumbers = (s: StatusJson) => {
  expect(s.leads).toMatchObject({
    checkpoint: LEADS_CHECKPOINT,
    lastError: 'Calltouch answered 502',
    pausedReason: 'requests_export paused: 5% of the budget left',
  });
  expect(s.leads.lastPollAgeSeconds).toBeGreaterThanOrEqual(20);
  expect(s.leads.pausedUntil).toBeGreaterThan(Date.now() + 3_000_000);
  const calls = s.flows.find((f) => f.flow === 'calls')!;
  expect(calls.pending).toBe(4);
  expect(calls.waiting).toBe(3);
  expect(calls.delayed).toBe(1);
  expect(calls.parked).toBe(2);
  expect(calls.deliveredLastHour).toBe(5);
  expect(calls.deliveredSource).toBe('completed-set');
  expect(calls.oldestPendingSeconds).toBeGreaterThanOrEqual(600);
  expect(calls.oldestPendingSeconds).toBeLessThan(700);
  const leads = s.flows.find((f) => f.flow === 'leads')!;
  expect(leads).toMatchObject({ pending: 1, parked: 0, deliveredLastHour: 0 });
  expect(leads.oldestPendingSeconds).toBeGreaterThanOrEqual(180);
  expect(s.flows.find((f) => f.flow === 'orders')).toMatchObject({ pending: 0, parked: 0 });

  expect(s.points).toMatchObject({ spentTotal: 7, budget: 100, remaining: 93 });
  expect(s.points.spent).toEqual({ calls_import: 6, orders_create: 1 });
  expect(s.mcn.lastError).toBe('MCN answered 503');
  expect(s.mcn.lastPollAgeSeconds).toBeGreaterThanOrEqual(30);
  expect(s.mcn.lagSeconds).toBeGreaterThanOrEqual(90);
  expect(s.mcn.lagSeconds).toBeLessThan(150);
  expect(s.limiter.penalties).toBe(2);
  expect(s.limiter.granted).toBeGreaterThanOrEqual(40);
  const roles = Object.fromEntries(s.roles.map((r) => [`${r.role}:${r.instanceId}`, r.alive]));
  expect(roles).toEqual({ 'worker:w-1': true, 'mcn-poller:old': false });
};

describe('touchline status', () => {
  it('reads every figure from Redis, and the limiter rate from live grants', async () => {
    const limiter = createLimiter(redis, limiterKey(prefix, 'default'), { limit: 20, marginMs: 0 });
    let stop = false;
    const load = (async () => {
      while (!stop) await limiter.acquire();
    })();
    await waitFor(async () => (await limiter.state()).granted > 45, { message: 'grants flowing' });
    const { io, out, err } = capture();
    const code = await status(config, { json: true }, io);
    stop = true;
    await load;
    expect(err()).toBe('');
    expect(code).toBe(0);
    const s = JSON.parse(out()) as StatusJson;
    checkNumbers(s);
    // 20 per second allowed; the sample sees most of them.
    expect(s.limiter.requestsPerSecond).toBeGreaterThan(10);
    expect(s.limiter.requestsPerSecond).toBeLessThanOrEqual(21);
  });

  it('prints an aligned table without colour when not on a terminal', async () => {
    const { io, out } = capture();
    expect(await status(config, { rateSampleMs: 0 }, io)).toBe(0);
    const text = out();
    expect(text).not.toContain('\u001b[');
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('FLOW'))!;
    const callsLine = lines.find((l) => l.startsWith('calls '))!;
    expect(header).toMatch(/^FLOW\s+PENDING\s+LIVE\s+BACKLOG\s+OLDEST\s+DELIVERED 1H\s+PARKED$/);
    // Numbers right-aligned under their headers.
    expect(callsLine.length).toBe(header.length);
    expect(callsLine).toMatch(/^calls\s+4\s+3\s+0\s+10m \d+s\s+5\s+2$/);
    expect(text).toContain('spent 7 (calls_import 6, orders_create 1), 93 left of 100');
    expect(text).toContain('last error: MCN answered 503');
    expect(text).toContain('every lead created before 2026-03-01 09:00:00 UTC enqueued');
    expect(text).toMatch(
      /paused by the points budget for 59m \d+s: requests_export paused: 5% of the budget left/,
    );
    expect(text).toContain('last error: Calltouch answered 502');
    expect(text).toMatch(/worker\s+w-1\s+alive/);
    expect(text).toMatch(/mcn-poller\s+old\s+gone/);
  });

  it('`touchline status --json` prints the same data on stdout and exits 0', async () => {
    const result = await runCli(['status', '--json'], {});
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    checkNumbers(JSON.parse(result.stdout) as StatusJson);
  });

  it('says Redis is unreachable and exits non-zero', async () => {
    const port = await freePort();
    const result = await runCli(['status'], { REDIS_URL: `redis://:hunter22@127.0.0.1:${port}` });
    expect(result.code).toBe(EXIT_UNAVAILABLE);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `Redis at redis://:[REDACTED]@127.0.0.1:${port} is unreachable`,
    );
    expect(result.stderr).not.toContain('hunter22');
  });

  it('a role that stops gracefully leaves the list at once', async () => {
    const hb = createHeartbeat({ redis, prefix, role: 'leads', instanceId: 'l-9' });
    await hb.start();
    await waitFor(async () => redis.exists(`${prefix}:heartbeat:leads:l-9`), { message: 'beat' });
    await hb.close();
    expect(await redis.exists(`${prefix}:heartbeat:leads:l-9`)).toBe(0);
    expect(await redis.zscore(`${prefix}:heartbeats`, 'leads:l-9')).toBeNull();
  });
});
