import { describe, expect, it } from 'vitest';
import type { HookContext } from '@bull-board/api/typings/app';
import { appRoutes, buildHistoryRoutes } from '@bull-board/api/dist/routes.js';
import { WRITE_ROUTE_RULES, boardGuard, createCredentialCheck, redactValue } from '../src/index.ts';

describe('redactValue', () => {
  it('replaces values under secret keys in any letter case, at any depth', () => {
    const value = {
      callid: 'c-1',
      headers: { Authorization: 'Bearer abc.def', 'ACCESS-TOKEN': 'tok-123456' },
      nested: [{ password: 'p4ssw0rd', phone: '79001234567' }],
    };
    expect(redactValue(value)).toEqual({
      callid: 'c-1',
      headers: { Authorization: '[REDACTED]', 'ACCESS-TOKEN': '[REDACTED]' },
      nested: [{ password: '[REDACTED]', phone: '79001234567' }],
    });
  });

  it('scrubs credentials out of free text and leaves the rest', () => {
    expect(
      redactValue({
        reason: 'POST https://ats.calltouch.ru/x?apikey=s3cr3t&x=1 answered 400',
        n: 3,
        ok: true,
        none: null,
      }),
    ).toEqual({
      reason: 'POST https://ats.calltouch.ru/x?apikey=[REDACTED]&x=1 answered 400',
      n: 3,
      ok: true,
      none: null,
    });
  });

  it('does not mutate its input and survives cycles', () => {
    const input: Record<string, unknown> = { token: 'abcdef' };
    input['self'] = input;
    const out = redactValue(input) as Record<string, unknown>;
    expect(input['token']).toBe('abcdef');
    expect(out['token']).toBe('[REDACTED]');
  });
});

describe('createCredentialCheck', () => {
  const check = createCredentialCheck({ username: 'ops', password: 'correct horse' });
  it('accepts only the exact pair', () => {
    expect(check('ops', 'correct horse')).toBe(true);
    expect(check('ops', 'correct hors')).toBe(false);
    expect(check('ops', 'correct horse ')).toBe(false);
    expect(check('OPS', 'correct horse')).toBe(false);
    expect(check('', '')).toBe(false);
  });
});

const ctx = (method: string, route: string, params: Record<string, string> = {}): HookContext =>
  ({
    method,
    route,
    request: { params, query: {}, body: {}, headers: {} },
  }) as unknown as HookContext;

describe('boardGuard', () => {
  it('read-only: reads pass, every change is refused', async () => {
    const guard = boardGuard(true);
    expect(await guard(ctx('get', '/api/queues'))).toEqual({ allow: true });
    for (const route of Object.keys(WRITE_ROUTE_RULES)) {
      const [method, path] = route.split(' ') as [string, string];
      expect(await guard(ctx(method, path, { queueStatus: 'failed' })), route).toMatchObject({
        allow: false,
        status: 403,
      });
    }
  });

  it('writable: retrying parked items passes; dropping items or editing them does not', async () => {
    const states: Record<string, string> = {
      'calls/1': 'failed',
      'calls/2': 'completed',
      'calls/3': 'waiting',
    };
    const guard = boardGuard(false, async (q, id) => states[`${q}/${id}`] ?? 'unknown');
    const retry = '/api/queues/:queueName/:jobId/retry';
    expect(await guard(ctx('put', retry, { queueName: 'calls', jobId: '1' }))).toEqual({
      allow: true,
    });
    for (const jobId of ['2', '3', 'missing']) {
      expect(await guard(ctx('put', retry, { queueName: 'calls', jobId }))).toMatchObject({
        allow: false,
        status: 403,
      });
    }
    const bulk = '/api/queues/:queueName/retry/:queueStatus';
    expect(await guard(ctx('put', bulk, { queueStatus: 'failed' }))).toEqual({ allow: true });
    expect(await guard(ctx('put', bulk, { queueStatus: 'completed' }))).toMatchObject({
      allow: false,
    });
    const clean = '/api/queues/:queueName/clean/:queueStatus';
    expect(await guard(ctx('put', clean, { queueStatus: 'completed' }))).toEqual({ allow: true });
    for (const queueStatus of ['failed', 'delayed', 'wait', 'active', 'paused', 'prioritized']) {
      expect(await guard(ctx('put', clean, { queueStatus })), queueStatus).toMatchObject({
        allow: false,
        status: 403,
      });
    }
    const cleanJob = '/api/queues/:queueName/:jobId/clean';
    expect(await guard(ctx('put', cleanJob, { queueName: 'calls', jobId: '2' }))).toEqual({
      allow: true,
    });
    for (const jobId of ['1', '3', 'missing']) {
      expect(await guard(ctx('put', cleanJob, { queueName: 'calls', jobId }))).toMatchObject({
        allow: false,
      });
    }
    for (const [method, route] of [
      ['put', '/api/queues/:queueName/empty'],
      ['put', '/api/queues/:queueName/obliterate'],
      ['put', '/api/queues/:queueName/pause'],
      ['put', '/api/queues/pause'],
      ['post', '/api/queues/:queueName/add'],
      ['patch', '/api/queues/:queueName/:jobId/update-data'],
      ['put', '/api/queues/:queueName/rate-limit'],
      // A route this version of Touchline does not know (a newer Bull Board).
      ['delete', '/api/queues/:queueName/everything'],
    ] as const) {
      expect(await guard(ctx(method, route)), `${method} ${route}`).toMatchObject({
        allow: false,
        status: 403,
      });
    }
  });

  it('has a rule for every write route of the installed @bull-board/api, and no stale one', () => {
    const history = buildHistoryRoutes({} as Parameters<typeof buildHistoryRoutes>[0], {
      hasUsage: true,
      canPurge: true,
      hasLatency: true,
    });
    const writes = [...appRoutes.api, ...history, appRoutes.entryPoint]
      .flatMap((r) =>
        (Array.isArray(r.method) ? r.method : [r.method]).flatMap((m) =>
          (Array.isArray(r.route) ? r.route : [r.route]).map((p) => `${m.toLowerCase()} ${p}`),
        ),
      )
      .filter((key) => !key.startsWith('get '))
      .sort();
    expect(Object.keys(WRITE_ROUTE_RULES).sort()).toEqual(writes);
  });
});
