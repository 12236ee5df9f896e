import { describe, expect, it } from 'vitest';
import type { HookContext } from '@bull-board/api/typings/app';
import { appRoutes, buildHistoryRoutes } from '@bull-board/api/dist/routes.js';
import {
  WRITE_ROUTE_RULES,
  boardGuard,
  createBoardServer,
  createCredentialCheck,
  maskEmail,
  maskPersonalText,
  maskPhone,
  redactValue,
} from '../src/index.ts';

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
      nested: [{ password: '[REDACTED]', phone: '*********67' }],
    });
  });

  it('masks phone numbers and e-mails by key, at any depth, and in free text', () => {
    expect(
      redactValue({
        mcn: { callid: '116-1763888690.6016868', src_num: '79161234567', did: 74951234567 },
        deal: { orderNumber: '79161234567', phones: ['8 (915) 777-11-22'], emails: ['a.b@c.ru'] },
        contacts: [{ contactType: 'PHONE', contactValue: '+79037654321' }],
        id: 'order-79161234567-1',
        failedReason: 'refused 79161234567 and x@y.org; call 116-1763888690.6016868 at 17:00',
      }),
    ).toEqual({
      mcn: { callid: '116-1763888690.6016868', src_num: '*********67', did: '*********67' },
      // An order number is no phone number, though it looks like one.
      deal: { orderNumber: '79161234567', phones: ['* (***) ***-**-22'], emails: ['a***@c.ru'] },
      contacts: [{ contactType: 'PHONE', contactValue: '+*********21' }],
      id: 'order-79161234567-1',
      failedReason: 'refused *********67 and x***@y.org; call 116-1763888690.6016868 at 17:00',
    });
  });

  it('maskPhone keeps the formatting and the last two digits; maskEmail the first letter and the domain', () => {
    expect(maskPhone('+7 (915) 777-11-22')).toBe('+* (***) ***-**-22');
    expect(maskPhone(74951234567)).toBe('*********67');
    expect(maskPhone('108')).toBe('*08');
    expect(maskEmail('ivan@example.com')).toBe('i***@example.com');
    expect(maskEmail('no-at-sign')).toBe('n***');
    expect(maskPersonalText('id 1763888690.6016868, ts 1718000000000, n 2024-05-01')).toBe(
      'id 1763888690.6016868, ts 1718000000000, n 2024-05-01',
    );
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

describe('createBoardServer', () => {
  it('refuses a weak password off loopback, accepts it on loopback', async () => {
    const auth = (password: string) => ({ username: 'ops', password });
    for (const password of ['change-me', 'short-pw-11']) {
      expect(() =>
        createBoardServer({ queues: [], port: 0, host: '0.0.0.0', auth: auth(password) }),
      ).toThrow(/at least 12 characters/);
    }
    const local = createBoardServer({ queues: [], port: 0, auth: auth('change-me') });
    await local.close();
    const strong = createBoardServer({
      queues: [],
      port: 0,
      host: '0.0.0.0',
      auth: auth('a-long-enough-pw'),
    });
    await strong.close();
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
