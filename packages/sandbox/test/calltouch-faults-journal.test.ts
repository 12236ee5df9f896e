import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@touchline/testing';
import { call, startStandIn } from './calltouch-helpers.ts';

describe('fault injection', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('answers the configured share with the configured 5xx', async () => {
    const t = await startStandIn({
      rateLimit: 10_000,
      faults: { errorShare: 0.5, errorStatus: 502 },
    });
    close = () => t.standIn.close();
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await t.importCalls([call(i)])).status);
    const errors = statuses.filter((s) => s === 502).length;
    expect(statuses.filter((s) => s !== 502 && s !== 200)).toEqual([]);
    expect(errors).toBeGreaterThan(70);
    expect(errors).toBeLessThan(130);
    expect(t.standIn.stats().requests.byStatus['502']).toBe(errors);
    // Errors spend no points and keep no calls.
    expect(t.standIn.stats().points.total).toBe(200 - errors);
    expect(t.standIn.stats().calls.unique).toBe(200 - errors);
  });

  it('hangs requests until the client gives up; close() still returns', async () => {
    const t = await startStandIn({ rateLimit: 10_000 });
    close = () => t.standIn.close();
    t.standIn.setFaults({ hangShare: 1 });
    await expect(
      fetch(
        `${t.standIn.url}/calls-service/RestAPI/requests?clientApiId=sandbox&siteId=sandbox&dateFrom=11/24/2026&dateTo=11/24/2026`,
        {
          signal: AbortSignal.timeout(200),
        },
      ),
    ).rejects.toThrow();
    expect(t.standIn.stats().requests.hung).toBe(1);
    t.standIn.setFaults({ hangShare: 0, slowShare: 1, slowMs: 150 });
    const started = performance.now();
    expect((await t.importCalls([call(1)])).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect((await t.admin('/faults', { clear: true })).status).toBe(200);
    expect(t.standIn.faults().settings.slowShare).toBe(0);
  });

  it('refuses an invalid admin body', async () => {
    const t = await startStandIn();
    close = () => t.standIn.close();
    expect((await t.admin('/faults', { errorShare: 2 })).status).toBe(400);
    expect((await t.admin('/faults', { nonsense: true })).status).toBe(400);
    expect((await t.admin('/requests', { count: 0 })).status).toBe(400);
  });
});

describe('requests journal', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('is seeded with realistic records and filtered by one continuous range (Moscow time)', async () => {
    const t = await startStandIn({ historyDays: 0, rateLimit: 10_000 });
    close = () => t.standIn.close();
    // 2026-11-20 23:30 and 2026-11-21 00:30 Moscow, plus one at 2026-11-21 23:59:59.
    t.standIn.addRequests(1, Date.parse('2026-11-20T20:30:00Z'));
    t.standIn.addRequests(1, Date.parse('2026-11-20T21:30:00Z'));
    t.standIn.addRequests(1, Date.parse('2026-11-21T20:59:59Z'));
    const get = async (q: Record<string, string>) => {
      const answer = await t.exportRequests(q);
      expect(answer.status).toBe(200);
      return (await answer.json()) as {
        requestId: number;
        dateStr: string;
        client: { fio: string; phones: { phoneNumber: string }[] };
      }[];
    };
    expect(
      (await get({ dateFrom: '11/21/2026', dateTo: '11/21/2026' })).map((r) => r.dateStr),
    ).toEqual(['21/11/2026 00:30:00', '21/11/2026 23:59:59']);
    const range = await get({
      dateFrom: '11/20/2026',
      dateTo: '11/21/2026',
      timeFrom: '23:00:00',
      timeTo: '01:00:00',
    });
    expect(range.map((r) => r.dateStr)).toEqual(['20/11/2026 23:30:00', '21/11/2026 00:30:00']);
    expect(range[0]?.client.fio).toMatch(/^[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+$/);
    expect(range[0]?.client.phones[0]?.phoneNumber).toMatch(/^79\d{9}$/);
    expect((await t.exportRequests({ dateFrom: '2026-11-21', dateTo: '11/21/2026' })).status).toBe(
      400,
    );
    expect((await t.exportRequests({})).status).toBe(400);
  });

  it('grows live and by the admin call', async () => {
    const t = await startStandIn({ liveRequestsPerMinute: 1200 });
    close = () => t.standIn.close();
    const seeded = t.standIn.stats().journal.requests;
    expect(seeded).toBe(7 * 40);
    await waitFor(() => t.standIn.stats().journal.requests >= seeded + 3, {
      message: 'live requests',
    });
    const before = t.standIn.stats().journal.requests;
    const added = (await (await t.admin('/requests', { count: 5 })).json()) as {
      added: number;
      requestIds: number[];
    };
    expect(added.added).toBe(5);
    expect(t.standIn.stats().journal.requests).toBeGreaterThanOrEqual(before + 5);
    await t.admin('/reset', {});
    expect(t.standIn.stats().requests.total).toBe(0);
  });
});
