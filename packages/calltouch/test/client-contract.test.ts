import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@touchline/testing';
import {
  CalltouchError,
  createCalltouchClient,
  readOrdersAnswer,
  type CalltouchCall,
  type CalltouchClientOptions,
  type CalltouchEndpoint,
  type RequestEvent,
} from '../src/index.ts';

// Distinctive secrets, so a leak into a message is impossible to miss.
const SECRETS = {
  atsCode: 'pbx-login',
  atsToken: 'ats-SECRET-7f3a',
  apiToken: 'api-SECRET-91bc',
  siteId: '4242',
};

let standIn: CalltouchStandIn;
beforeAll(async () => {
  standIn = await createCalltouchStandIn({
    ...SECRETS,
    latencyMs: { min: 0, max: 0 },
    rateLimit: 1000,
  });
});
afterAll(() => standIn.close());
afterEach(() => standIn.reset());

const call = (n: number, extra: Partial<CalltouchCall> = {}): CalltouchCall => ({
  referenceId: `ref-${n}`,
  clientPhoneNumber: `7999000${String(n).padStart(4, '0')}`,
  callCenterPhoneNumber: '74950000000',
  callStartTime: '2026-11-24 10:00:00',
  waitingTime: 5,
  duration: 65,
  status: 'successful',
  ...extra,
});

function setup(overrides: Partial<CalltouchClientOptions> = {}) {
  const gateCalls: CalltouchEndpoint[] = [];
  const events: RequestEvent[] = [];
  const client = createCalltouchClient({
    apiUrl: standIn.url,
    atsUrl: standIn.url,
    ...SECRETS,
    callsMode: 'pbx-batch',
    timeoutMs: 2000,
    gate: { acquire: async (endpoint) => void gateCalls.push(endpoint) },
    observe: (event) => events.push(event),
    ...overrides,
  });
  return { client, gateCalls, events };
}

async function failure(promise: Promise<unknown>): Promise<CalltouchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CalltouchError);
  return err as CalltouchError;
}

/** A calls body (`{calls: [...]}`) as the client serialises it. */
const hasCalls = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && 'calls' in value;

function expectNoSecrets(err: CalltouchError) {
  const cause = err.cause instanceof Error ? `${err.cause.name} ${err.cause.message}` : '';
  const text = [
    String(err),
    err.message,
    err.stack ?? '',
    err.body ?? '',
    JSON.stringify(err),
    cause,
  ].join('\n');
  expect(text).not.toContain(SECRETS.atsToken);
  expect(text).not.toContain(SECRETS.apiToken);
}

describe('calls import, every mode', () => {
  it('pbx-batch: one POST of 100 calls, log id, one gate pass, one event', async () => {
    const { client, gateCalls, events } = setup();
    expect(client.maxCallsPerRequest).toBe(100);
    const calls = Array.from({ length: 100 }, (_, i) => call(i, { manager: 'Орлова' }));
    const { logIds } = await client.importCalls(calls);
    expect(logIds).toHaveLength(1);
    expect(Object.keys(standIn.calls())).toHaveLength(100);
    expect(standIn.calls()['ref-7']?.via).toBe('pbx-batch');
    expect(gateCalls).toEqual(['calls_import']);
    expect(events).toEqual([
      expect.objectContaining({ endpoint: 'calls_import', outcome: 'ok', status: 200, items: 100 }),
    ]);
  });

  it('pbx-single: one GET per call with the telemirfact fields, bare-number log id', async () => {
    const { client, gateCalls, events } = setup({ callsMode: 'pbx-single' });
    expect(client.maxCallsPerRequest).toBe(1);
    const { logIds } = await client.importCalls([call(1)]);
    expect(logIds[0]).toMatch(/^\d+$/);
    const stored = standIn.calls()['ref-1'];
    expect(stored?.via).toBe('pbx-single');
    expect(stored?.call).toMatchObject({
      clientPhoneNumber: '79990000001',
      duration: 65,
      waitingTime: 5,
    });
    expect(gateCalls).toHaveLength(1);
    expect(events).toHaveLength(1);
    const err = await failure(client.importCalls([call(2), call(3)]));
    expect(err.code).toBe('INVALID_PAYLOAD');
    expect(gateCalls).toHaveLength(1);
  });

  it('lead-import: POST with Access-Token/SiteId and custom sources', async () => {
    const { client } = setup({ callsMode: 'lead-import', atsCode: undefined, atsToken: undefined });
    const { logIds } = await client.importCalls([
      call(1, { customSources: { source: 'mcn', medium: 'phone', campaign: 'офлайн' } }),
    ]);
    expect(logIds).toHaveLength(1);
    expect(standIn.calls()['ref-1']).toMatchObject({
      via: 'lead-import',
      call: { customSources: { source: 'mcn' } },
    });
  });

  it('a re-sent referenceId is accepted (2xx) and counted as a duplicate by the stand-in', async () => {
    const { client } = setup();
    await client.importCalls([call(1)]);
    await client.importCalls([call(1)]);
    expect(standIn.stats().calls).toEqual({ received: 2, unique: 1, duplicates: 1 });
  });

  it('refuses an invalid payload before anything leaves', async () => {
    const { client, gateCalls, events } = setup();
    const before = standIn.stats().requests.total;
    for (const bad of [
      [call(1, { clientPhoneNumber: '+7 999' })],
      Array.from({ length: 101 }, (_, i) => call(i)),
      [],
    ]) {
      const err = await failure(client.importCalls(bad));
      expect(err).toMatchObject({
        code: 'INVALID_PAYLOAD',
        failure: undefined,
        outcome: undefined,
      });
    }
    expect(standIn.stats().requests.total).toBe(before);
    expect(gateCalls).toHaveLength(0);
    expect(events).toHaveLength(0);
  });

  it('needs ATS credentials for the PBX modes', () => {
    expect(() => setup({ atsToken: undefined })).toThrow(/atsCode and atsToken/);
  });
});

describe('orders and the requests export', () => {
  it('creates then updates orders; the stand-in keeps final state and history', async () => {
    const { client, events } = setup({ crmName: 'amoCRM' });
    await client.createOrders([
      {
        orderNumber: 'D-1',
        status: 'Новая',
        orderDate: '24-11-2026 10:00:00',
        revenue: '1000.00',
        addTags: [{ tag: 'сайт' }],
      },
    ]);
    await client.updateOrders([
      { orderNumber: 'D-1', status: 'Оплачена', revenue: '1500.00', addNewComment: { text: 'ok' } },
    ]);
    const order = standIn.orders()['D-1'];
    expect(order?.state).toMatchObject({
      status: 'Оплачена',
      revenue: '1500.00',
      orderDate: '24-11-2026 10:00:00',
    });
    expect(order?.history.map((h) => h.action)).toEqual(['create', 'update']);
    expect(events.map((e) => `${e.endpoint}:${e.outcome}`)).toEqual([
      'orders_create:ok',
      'orders_update:ok',
    ]);
  });

  it('a create of an existing order is REJECTED with the body naming it (kept for bisection)', async () => {
    const { client, events } = setup();
    const order = { orderNumber: 'D-2', status: 'Новая', orderDate: '24-11-2026 10:00:00' };
    await client.createOrders([order]);
    const err = await failure(client.createOrders([{ ...order, orderNumber: 'D-3' }, order]));
    expect(err).toMatchObject({
      code: 'REJECTED',
      failure: { kind: 'rejected', status: 400 },
      status: 400,
      outcome: 'client_error',
    });
    expect(err.body).toContain('D-2');
    expect(err.body).toContain('already exists');
    // The whole answer is kept for the sender (not for logs), and names the refused order.
    expect(Object.keys(err)).not.toContain('answer');
    expect(readOrdersAnswer(err.answer, ['D-3', 'D-2']).failed.get(1)).toMatchObject({
      by: 'orderNumber',
      reason: 'order already exists',
    });
    expect(standIn.orders()['D-3']).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ outcome: 'client_error', status: 400, items: 2 });
    const missing = await failure(client.updateOrders([{ orderNumber: 'NOPE', status: 'x' }]));
    expect(missing.body).toContain('NOPE');
  });

  it('exports the journal for a range; every record has a requestId', async () => {
    const { client, events } = setup();
    standIn.addRequests(3, Date.parse('2026-11-20T09:00:00Z'));
    const records = await client.exportRequests({
      dateFrom: '11/20/2026',
      dateTo: '11/20/2026',
      timeFrom: '11:00:00',
      timeTo: '12:30:00',
    });
    const added = standIn
      .journal()
      .filter(
        (r) =>
          r.date >= Date.parse('2026-11-20T08:00:00Z') &&
          r.date <= Date.parse('2026-11-20T09:30:00Z'),
      );
    expect(records.map((r) => r.requestId)).toEqual(added.map((r) => r.requestId));
    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(records[0]?.client?.fio).toMatch(/[А-Яа-я]/);
    expect(events).toEqual([
      expect.objectContaining({
        endpoint: 'requests_export',
        outcome: 'ok',
        items: records.length,
      }),
    ]);
  });
});

describe('failures map to codes and outcomes', () => {
  it('401 → UNAUTHORIZED, no secret anywhere', async () => {
    const { client, events } = setup({
      atsToken: 'wrong-token-3c1d',
      apiToken: 'wrong-token-8e2f',
    });
    const err = await failure(client.importCalls([call(1)]));
    expect(err).toMatchObject({
      code: 'UNAUTHORIZED',
      failure: { kind: 'unauthorized', status: 401 },
      status: 401,
      outcome: 'client_error',
    });
    expect(String(err)).not.toContain('wrong-token-3c1d');
    expect(err.message).not.toContain('apikey=wrong');
    const exp = await failure(
      client.exportRequests({ dateFrom: '11/20/2026', dateTo: '11/20/2026' }),
    );
    expect(exp.code).toBe('UNAUTHORIZED');
    expect(JSON.stringify(exp) + String(exp)).not.toContain('wrong-token-8e2f');
    expect(events.map((e) => e.outcome)).toEqual(['client_error', 'client_error']);
  });

  it('429 → RATE_LIMITED, Retry-After parsed', async () => {
    const { client, events } = setup();
    standIn.setFaults({ stormMs: 10_000, stormRetryAfterSeconds: 2 });
    const err = await failure(client.importCalls([call(1)]));
    expect(err).toMatchObject({
      code: 'RATE_LIMITED',
      failure: { kind: 'rate_limited', status: 429, retryAfterMs: 2000 },
      status: 429,
      retryAfterMs: 2000,
      outcome: 'rate_limited',
    });
    expect(events[0]).toMatchObject({ outcome: 'rate_limited', status: 429 });
    expectNoSecrets(err);
  });

  it('5xx → SERVER_ERROR', async () => {
    const { client, events } = setup();
    standIn.setFaults({ errorShare: 1, errorStatus: 502 });
    const err = await failure(
      client.createOrders([{ orderNumber: 'x', status: 's', orderDate: '24-11-2026 10:00:00' }]),
    );
    expect(err).toMatchObject({
      code: 'SERVER_ERROR',
      failure: { kind: 'unavailable', status: 502 },
      status: 502,
      outcome: 'server_error',
    });
    expect(events[0]).toMatchObject({ outcome: 'server_error', status: 502 });
    expectNoSecrets(err);
  });

  it('a hung request → TIMEOUT, network_error', async () => {
    const { client, events, gateCalls } = setup({ timeoutMs: 300 });
    standIn.setFaults({ hangShare: 1 });
    const started = Date.now();
    const err = await failure(client.importCalls([call(1)]));
    expect(err).toMatchObject({
      code: 'TIMEOUT',
      failure: { kind: 'timeout' },
      outcome: 'network_error',
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(events).toEqual([expect.objectContaining({ outcome: 'network_error', items: 1 })]);
    expect(gateCalls).toHaveLength(1);
    expectNoSecrets(err);
  });

  it('connection refused → NETWORK; the export retries twice, through the gate each time', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { client, events, gateCalls } = setup({ apiUrl: dead, atsUrl: dead });
    const err = await failure(client.importCalls([call(1)]));
    expect(err).toMatchObject({
      code: 'NETWORK',
      failure: { kind: 'network', sent: false },
      outcome: 'network_error',
    });
    expect(gateCalls).toHaveLength(1);
    expectNoSecrets(err);
    const exp = await failure(
      client.exportRequests({ dateFrom: '11/20/2026', dateTo: '11/20/2026' }),
    );
    expect(exp.code).toBe('NETWORK');
    expect(gateCalls).toEqual([
      'calls_import',
      'requests_export',
      'requests_export',
      'requests_export',
    ]);
    expect(events.map((e) => `${e.endpoint}:${e.outcome}`)).toEqual([
      'calls_import:network_error',
      'requests_export:network_error',
      'requests_export:network_error',
      'requests_export:network_error',
    ]);
    expectNoSecrets(exp);
  });
});

describe('the gate', () => {
  it('runs before the request leaves, and its wait does not eat the timeout', async () => {
    let arrivalsWhenGateOpened = -1;
    const { client } = setup({
      timeoutMs: 300,
      gate: {
        acquire: async () => {
          arrivalsWhenGateOpened = standIn.stats().requests.total;
          await new Promise((resolve) => setTimeout(resolve, 500));
        },
      },
    });
    await client.importCalls([call(1)]);
    expect(arrivalsWhenGateOpened).toBe(0);
    expect(standIn.stats().requests.total).toBe(1);
  });

  it('nothing is serialised after the gate opens: the body is bytes before the slot is asked', async () => {
    const stringify = vi.spyOn(JSON, 'stringify');
    let serialisedBeforeGate = -1;
    try {
      const { client } = setup({
        gate: {
          acquire: async () => {
            serialisedBeforeGate = stringify.mock.calls.length;
          },
        },
      });
      const calls = Array.from({ length: 100 }, (_, i) => call(i));
      await client.importCalls(calls);
      expect(serialisedBeforeGate).toBeGreaterThan(0);
      // The 100 calls were serialised once, before the gate; none of the client's work after it.
      const bodies = stringify.mock.calls.filter(([value]) => hasCalls(value));
      expect(bodies).toHaveLength(1);
      expect(stringify.mock.calls.slice(serialisedBeforeGate).filter(([v]) => hasCalls(v))).toEqual(
        [],
      );
    } finally {
      stringify.mockRestore();
    }
    expect(Object.keys(standIn.calls())).toHaveLength(100);
  });

  it("tells the gate's pass once the request has been written, after the grant", async () => {
    const grants: number[] = [];
    const written: number[] = [];
    const { client } = setup({
      gate: {
        acquire: async () => {
          grants.push(performance.now());
          return { sent: (at: number) => void written.push(at) };
        },
      },
    });
    await client.importCalls([call(1)]);
    expect(written).toHaveLength(1);
    expect(written[0]).toBeGreaterThanOrEqual(grants[0] ?? Number.POSITIVE_INFINITY);
    // A request that could not be written (nobody listening) reports nothing.
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { client: refused } = setup({
      apiUrl: dead,
      atsUrl: dead,
      gate: { acquire: async () => ({ sent: (at: number) => void written.push(at) }) },
    });
    await failure(refused.importCalls([call(2)]));
    expect(written).toHaveLength(1);
  });

  it("surfaces the gate's own error and sends nothing", async () => {
    const { client } = setup({
      gate: { acquire: () => Promise.reject(new Error('limiter down')) },
    });
    await expect(client.importCalls([call(1)])).rejects.toThrow('limiter down');
    expect(standIn.stats().requests.total).toBe(0);
  });

  it('reads at most maxAnswerBytes of an answer; the request may have been processed', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ logId: 1, pad: 'x'.repeat(300_000) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { client } = setup({ apiUrl: url, atsUrl: url, maxAnswerBytes: 100_000 });
      const err = await failure(client.importCalls([call(1)]));
      expect(err).toMatchObject({
        code: 'NETWORK',
        failure: { kind: 'network', code: 'ERR_ANSWER_TOO_LARGE', sent: true },
      });
      expect(err.message).toMatch(/larger than 100000 bytes/);
      expectNoSecrets(err);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
