import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queue } from 'bullmq';
import { parseConfig, schemas } from '@touchline/config';
import { TEST_REDIS_URL, freePort, useTestRedis } from '@touchline/testing';
import { boardRole } from '../../src/index.ts';
import { startRole, type TestRole } from '../run-role.ts';
import { REASON, SECRET, seedCalls } from './seed.ts';

const { redis, prefix } = useTestRedis('board');
const user = 'ops';
const password = 'board-password-1';
const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
let queue: Queue;
let writable: TestRole;
let readOnly: TestRole;

const boardConfig = async (extra: Record<string, string>) =>
  parseConfig(schemas.board, {
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'error',
    BOARD_PORT: String(await freePort()),
    METRICS_PORT: String(await freePort()),
    ...extra,
  });

beforeAll(async () => {
  queue = await seedCalls(redis, prefix);
  writable = await startRole(
    boardRole(),
    await boardConfig({ BOARD_USERNAME: user, BOARD_PASSWORD: password, BOARD_READ_ONLY: 'false' }),
  );
  readOnly = await startRole(boardRole(), await boardConfig({ BOARD_READ_ONLY: 'true' }));
});

afterAll(async () => {
  await writable?.stop();
  await readOnly?.stop();
  await queue?.close();
});

const get = (board: TestRole, path: string, headers: Record<string, string> = {}) =>
  fetch(`${board.url('board')}${path}`, { headers });
const put = (board: TestRole, path: string, headers: Record<string, string> = {}) =>
  fetch(`${board.url('board')}${path}`, { method: 'PUT', headers });

interface QueuesBody {
  queues: {
    name: string;
    description: string;
    readOnlyMode: boolean;
    counts: Record<string, number>;
    jobs: {
      id: string;
      data: Record<string, unknown>;
      failedReason?: string;
      stacktrace: string[];
    }[];
  }[];
}

describe('touchline board over HTTP', () => {
  it('asks for basic auth on every page and API call, but not on /healthz', async () => {
    expect((await get(writable, '/healthz')).status).toBe(200);
    const anonymous = await get(writable, '/');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    const wrong = `Basic ${Buffer.from(`${user}:nope`).toString('base64')}`;
    expect((await get(writable, '/api/queues', { authorization: wrong })).status).toBe(401);
    const page = await get(writable, '/', { authorization: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Touchline</title>');
    // The UI's files are served (resolved from @bull-board/ui through tsx).
    expect((await get(writable, '/static/images/logo.svg', { authorization: auth })).status).toBe(
      200,
    );
  });

  it('lists the three queues with their descriptions, the parked item with secrets redacted', async () => {
    const res = await get(writable, '/api/queues?activeQueue=calls&status=failed&page=1', {
      authorization: auth,
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    const body = JSON.parse(text) as QueuesBody;
    expect(body.queues.map((q) => q.name).sort()).toEqual(['calls', 'leads', 'orders']);
    const calls = body.queues.find((q) => q.name === 'calls')!;
    expect(calls.description).toContain('parked');
    expect(calls.counts).toMatchObject({ failed: 1, completed: 2 });
    const parked = calls.jobs.find((j) => j.id === 'bad-1')!;
    expect(parked.failedReason).toBe(REASON.replace(SECRET, '[REDACTED]'));
    expect(parked.data).toEqual({
      referenceId: 'bad-1',
      clientPhoneNumber: '*23',
      token: '[REDACTED]',
    });
    // The job itself is untouched in Redis: redaction is for display only.
    expect((await queue.getJob('bad-1'))?.data).toMatchObject({ token: SECRET });
  });

  it('read-only: shows the queues but refuses a retry, even through the API', async () => {
    const body = (await (await get(readOnly, '/api/queues')).json()) as QueuesBody;
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
    expect((await put(readOnly, '/api/queues/calls/bad-1/retry')).status).toBe(403);
    expect(await queue.getJobState('bad-1')).toBe('failed');
  });

  it('writable: refuses to re-send a delivered item or to empty a queue, retries a parked one', async () => {
    expect(
      (await put(writable, '/api/queues/calls/ok-0/retry', { authorization: auth })).status,
    ).toBe(403);
    expect(await queue.getJobState('ok-0')).toBe('completed');
    expect((await put(writable, '/api/queues/calls/empty', { authorization: auth })).status).toBe(
      403,
    );
    expect((await put(writable, '/api/queues/calls/bad-1/retry')).status).toBe(401);
    const retry = await put(writable, '/api/queues/calls/bad-1/retry', { authorization: auth });
    expect(retry.status).toBe(204);
    expect(await queue.getJobState('bad-1')).toBe('waiting');
  });
});
