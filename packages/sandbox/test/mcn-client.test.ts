import { inspect } from 'node:util';
import { createMcnClient, McnError, type McnClient } from '@touchline/mcn';
import { waitFor } from '@touchline/testing';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcnStandIn, type McnStandIn } from '../src/mcn/index.ts';

// The real client against the stand-in over loopback HTTP: paging, failures, secrets.
const TOKEN = 'mcn-secret-7f3a9c1e5b';
const NOW = new Date('2025-11-23T09:00:00Z');
const open: McnStandIn[] = [];

async function standIn(options: Parameters<typeof createMcnStandIn>[0] = {}): Promise<McnStandIn> {
  const s = await createMcnStandIn({
    token: TOKEN,
    now: () => NOW,
    historyDays: 0,
    liveCallsPerMinute: 0,
    malformedShare: 0,
    ...options,
  });
  open.push(s);
  return s;
}

function clientFor(
  s: McnStandIn,
  extra: { token?: string; timeoutMs?: number; pageSize?: number } = {},
): McnClient {
  return createMcnClient({
    apiUrl: s.url,
    token: TOKEN,
    accountId: s.accountId,
    vpbxId: s.vpbxId,
    ...extra,
  });
}

async function failure(promise: Promise<unknown>): Promise<McnError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McnError);
  return err as McnError;
}

function expectNoSecret(err: McnError, secret: string): void {
  expect(err.message).not.toContain(secret);
  expect(String(err)).not.toContain(secret);
  expect(JSON.stringify(err)).not.toContain(secret);
  expect(inspect(err, { depth: 10 })).not.toContain(secret);
  expect(inspect(err.cause, { depth: 10 })).not.toContain(secret);
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('McnClient against the MCN stand-in', () => {
  it('reads 2,345 calls in 3 pages of 1,000, each exactly once, in log order', async () => {
    const s = await standIn();
    const added = s.addCalls(2345, { at: new Date('2025-11-23T07:00:00Z') });
    const result = await clientFor(s).fetchCallLog('2025-11-23', '2025-11-23');
    expect(result.pages).toBe(3);
    expect(result.invalid).toEqual([]);
    expect(result.calls.map((c) => c.callid)).toEqual(added.map((c) => c.callid));
    expect(s.stats()).toMatchObject({ callsServed: 2345, requests: { ok: 3 } });
  });

  it('asks one more, empty, page when the total is an exact multiple of the page size', async () => {
    const s = await standIn();
    s.addCalls(2000, { at: new Date('2025-11-23T07:00:00Z') });
    const result = await clientFor(s).fetchCallLog('2025-11-23', '2025-11-23');
    expect(result.pages).toBe(3);
    expect(new Set(result.calls.map((c) => c.callid)).size).toBe(2000);
    expect(s.stats().lastRequest).toMatchObject({ offset: 2000, items: 0 });
  });

  it('pages with a smaller page size too', async () => {
    const s = await standIn();
    s.addCalls(2345, { at: new Date('2025-11-23T07:00:00Z') });
    const result = await clientFor(s, { pageSize: 100 }).fetchCallLog('2025-11-23', '2025-11-23');
    expect(result.pages).toBe(24);
    expect(new Set(result.calls.map((c) => c.callid)).size).toBe(2345);
  });

  it('filters by date range across days of a seeded history', async () => {
    const s = await standIn({ historyDays: 3, callsPerDay: 400 });
    const byDay = new Map<string, number>();
    for (const c of s.calls())
      byDay.set(String(c.date).slice(0, 10), (byDay.get(String(c.date).slice(0, 10)) ?? 0) + 1);
    const one = await clientFor(s).fetchCallLog('2025-11-21', '2025-11-21');
    expect(one.calls.length).toBe(byDay.get('2025-11-21'));
    expect(one.calls.every((c) => c.date?.startsWith('2025-11-21'))).toBe(true);
    const two = await clientFor(s).fetchCallLog('2025-11-21', '2025-11-22');
    expect(two.calls.length).toBe((byDay.get('2025-11-21') ?? 0) + (byDay.get('2025-11-22') ?? 0));
    const none = await clientFor(s).fetchCallLog('2025-11-24', '2025-11-30');
    expect(none).toEqual({ calls: [], invalid: [], pages: 1 });
  });

  it('reports malformed records in `invalid` without losing the rest', async () => {
    const s = await standIn({ historyDays: 2, callsPerDay: 1500, malformedShare: 0.1 });
    const { malformed, calls } = s.stats();
    const schemaBroken = (malformed['no-callid'] ?? 0) + (malformed['bad-waittime'] ?? 0);
    expect(schemaBroken).toBeGreaterThan(0);
    const result = await clientFor(s).fetchCallLog('2025-11-20', '2025-11-23');
    expect(result.invalid).toHaveLength(schemaBroken);
    expect(result.calls).toHaveLength(calls - schemaBroken);
    expect(result.invalid.map((i) => i.reason)).toEqual(
      expect.arrayContaining([
        'callid: is required',
        'waittime: must be a number or a numeric string',
      ]),
    );
    // Broken-but-parseable records (no caller, garbage date, empty did) are calls: the mapping rejects them.
    expect(result.calls.some((c) => c.did === '' && c.type?.toLowerCase() === 'inb')).toBe(true);
  });

  it('wrong token → UNAUTHORIZED, token nowhere in the error', async () => {
    const s = await standIn();
    const wrong = 'wrong-token-0a1b2c3d4e';
    const err = await failure(
      clientFor(s, { token: wrong }).fetchCallLog('2025-11-23', '2025-11-23'),
    );
    expect(err).toMatchObject({
      code: 'UNAUTHORIZED',
      failure: { kind: 'unauthorized' },
      status: 401,
    });
    expectNoSecret(err, wrong);
    expect(s.stats().requests.unauthorized).toBe(1);
  });

  it('outage → SERVER_ERROR with Retry-After; not retried by the client', async () => {
    const s = await standIn();
    s.setDown(true);
    const err = await failure(clientFor(s).fetchCallLog('2025-11-23', '2025-11-23'));
    expect(err).toMatchObject({
      code: 'SERVER_ERROR',
      failure: { kind: 'unavailable' },
      status: 503,
      retryAfterMs: 5000,
    });
    expectNoSecret(err, TOKEN);
    expect(s.stats().requests.unavailable).toBe(1);
    s.setDown(false);
    await expect(clientFor(s).fetchCallLog('2025-11-23', '2025-11-23')).resolves.toMatchObject({
      pages: 1,
    });
  });

  it('a page that fails mid-range fails the whole read (no silent gap)', async () => {
    const s = await standIn();
    s.addCalls(3000, { at: new Date('2025-11-23T07:00:00Z') });
    // One call per page: the read is long enough to take the API down while it runs.
    const read = clientFor(s, { pageSize: 1 })
      .fetchCallLog('2025-11-23', '2025-11-23')
      .then(
        (r) => r,
        (e: unknown) => e,
      );
    await waitFor(() => s.stats().requests.ok >= 3, { intervalMs: 1 });
    s.setDown(true);
    const outcome = await read;
    expect(outcome).toBeInstanceOf(McnError);
    expect(outcome).toMatchObject({ code: 'SERVER_ERROR' });
    expect(s.stats().requests.ok).toBeLessThan(3000);
  });

  it('silence → TIMEOUT after timeoutMs', async () => {
    const s = await standIn();
    s.setDown('timeout');
    const started = Date.now();
    const err = await failure(
      clientFor(s, { timeoutMs: 300 }).fetchCallLog('2025-11-23', '2025-11-23'),
    );
    expect(err).toMatchObject({ code: 'TIMEOUT', failure: { kind: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(3000);
    expectNoSecret(err, TOKEN);
  });

  it('connection refused → NETWORK, after got’s two quick retries', async () => {
    const s = await standIn();
    const client = clientFor(s);
    await s.close();
    const err = await failure(client.fetchCallLog('2025-11-23', '2025-11-23'));
    expect(err).toMatchObject({ code: 'NETWORK', failure: { kind: 'network', sent: false } });
    expect(err.message).toMatch(/ECONNREFUSED|ERR_SOCKET_CLOSED_BEFORE_CONNECTION/);
    expectNoSecret(err, TOKEN);
  });

  it('sees live calls as they are logged', async () => {
    const s = await createMcnStandIn({
      token: TOKEN,
      historyDays: 0,
      liveCallsPerMinute: 600,
      malformedShare: 0,
    });
    open.push(s);
    const client = clientFor(s);
    const today = DateTime.now().setZone('Europe/Moscow');
    const range = [today.minus({ days: 1 }).toISODate() ?? '', today.toISODate() ?? ''] as const;
    const first = await client.fetchCallLog(...range);
    const later = await waitFor(
      async () => {
        const r = await client.fetchCallLog(...range);
        return r.calls.length >= first.calls.length + 5 ? r : undefined;
      },
      { message: 'live calls through the client' },
    );
    const ids = new Set(later.calls.map((c) => c.callid));
    expect(first.calls.every((c) => ids.has(c.callid))).toBe(true);
  });
});
