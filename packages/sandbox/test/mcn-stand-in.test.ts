import { mcnCallSchema } from '@touchline/mcn';
import { waitFor } from '@touchline/testing';
import { DateTime } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcnStandIn, type McnStandIn } from '../src/mcn/index.ts';

const NOW = new Date('2025-11-23T09:00:00Z'); // 12:00 in Moscow
const open: McnStandIn[] = [];

async function standIn(options: Parameters<typeof createMcnStandIn>[0] = {}): Promise<McnStandIn> {
  const s = await createMcnStandIn({ now: () => NOW, liveCallsPerMinute: 0, ...options });
  open.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const logUrl = (s: McnStandIn, query: string, account = s.accountId) =>
  `${s.url}/account/${account}/vpbx/${s.vpbxId}/call_log?${query}`;
const get = (url: string, token = 'sandbox') =>
  fetch(url, { headers: { authorization: `Bearer ${token}` } });

describe('MCN stand-in data', () => {
  it('is the same for the same seed and differs for another', async () => {
    const [a, b, c] = await Promise.all([
      standIn({ seed: 5 }),
      standIn({ seed: 5 }),
      standIn({ seed: 6 }),
    ]);
    expect(a.calls()).toHaveLength(2000);
    expect(b.calls()).toEqual(a.calls());
    expect(c.calls()).not.toEqual(a.calls());
  });

  it('looks like a real log: directions, statuses, number formats, did types, zone-less times', async () => {
    const s = await standIn({ seed: 11, historyDays: 3, callsPerDay: 1000, malformedShare: 0 });
    const calls = s.calls();
    const types = calls.map((c) => String(c.type).toLowerCase());
    const inbound = types.filter((t) => t === 'inb').length;
    expect(inbound / calls.length).toBeGreaterThan(0.6);
    expect(types).toContain('out');
    expect(types).toContain('int');
    // Not only lower case: the seed document spells them Inb/Out/Int.
    expect(calls.some((c) => c.type === 'Inb')).toBe(true);

    const statuses = new Set(calls.map((c) => c.status));
    for (const status of ['ANSWERED', 'NOANSWER', 'NO ANSWER', 'BUSY', 'FAILED', 'LOST']) {
      expect(statuses).toContain(status);
    }

    const callers = calls
      .filter((c) => c.type?.toLowerCase() === 'inb')
      .map((c) => c.src_num as unknown);
    expect(callers.some((n) => typeof n === 'number')).toBe(true);
    expect(callers.some((n) => typeof n === 'string' && /^8\d{10}$/.test(n))).toBe(true);
    expect(
      callers.some((n) => typeof n === 'string' && /^\+7 \(\d{3}\) \d{3}-\d{2}-\d{2}$/.test(n)),
    ).toBe(true);
    expect(
      callers.some((n) => typeof n === 'string' && /^8 \(\d{3}\) \d{3}-\d{2}-\d{2}$/.test(n)),
    ).toBe(true);
    expect(calls.some((c) => /^\d{3}$/.test(String(c.src_num)))).toBe(true); // extensions

    const dids = calls.map((c) => c.did as unknown);
    expect(dids.some((d) => typeof d === 'number')).toBe(true);
    expect(dids).toContain('');

    const wallClock = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
    for (const c of calls) {
      expect(c.date).toMatch(wallClock);
      expect(c.callid).toMatch(/^116-\d{10}\.\d{7}$/);
      // callid carries the Unix time of the start; `date` is that instant in Moscow.
      const unix = Number(c.callid.slice(4, 14));
      expect(
        DateTime.fromSeconds(unix, { zone: 'Europe/Moscow' }).toFormat('yyyy-MM-dd HH:mm:ss'),
      ).toBe(c.date);
      if (c.status === 'ANSWERED') expect(c.answer_date).toMatch(wallClock);
      else expect(c.answer_date).toBe('');
      expect(mcnCallSchema.safeParse(c).success).toBe(true);
    }
    expect(new Set(calls.map((c) => c.callid)).size).toBe(calls.length);
    // History covers the days before now, and nothing ends after now.
    const ends = calls.map((c) =>
      DateTime.fromSQL(String(c.end_date), { zone: 'Europe/Moscow' }).toMillis(),
    );
    expect(Math.max(...ends)).toBeLessThanOrEqual(NOW.getTime());
    expect(calls[0]?.date?.slice(0, 10)).toBe('2025-11-20');
  });

  it('breaks about malformedShare of the records, in several ways', async () => {
    const s = await standIn({ seed: 3, historyDays: 5, callsPerDay: 1000, malformedShare: 0.05 });
    const { malformed, calls } = s.stats();
    const broken = Object.values(malformed).reduce((a, b) => a + b, 0);
    expect(broken / calls).toBeGreaterThan(0.035);
    expect(broken / calls).toBeLessThan(0.065);
    expect(Object.keys(malformed).sort()).toEqual([
      'bad-waittime',
      'empty-did',
      'garbage-date',
      'no-callid',
      'no-src-num',
    ]);
    expect(s.calls().filter((c) => !mcnCallSchema.safeParse(c).success)).toHaveLength(
      (malformed['no-callid'] ?? 0) + (malformed['bad-waittime'] ?? 0),
    );
  });
});

describe('MCN stand-in API', () => {
  it('filters by the zone-local day of `date`, inclusive, across midnight', async () => {
    const s = await standIn({ historyDays: 0, malformedShare: 0 });
    const late = s.addCalls(3, { at: new Date('2025-11-23T20:30:00Z') }); // 23:30 Moscow
    const early = s.addCalls(2, { at: new Date('2025-11-23T21:30:00Z') }); // 00:30 Moscow, next day
    const ids = async (from: string, to: string) => {
      const res = await get(logUrl(s, `date_from=${from}&date_to=${to}`));
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: { callid: string }[] }).items.map((c) => c.callid);
    };
    expect(await ids('2025-11-23', '2025-11-23')).toEqual(late.map((c) => c.callid));
    expect(await ids('2025-11-24', '2025-11-24')).toEqual(early.map((c) => c.callid));
    expect(await ids('2025-11-23', '2025-11-24')).toEqual([...late, ...early].map((c) => c.callid));
    expect(await ids('2025-11-22', '2025-11-22')).toEqual([]);
    expect(late[0]?.date).toBe('2025-11-23 23:30:00');
  });

  it('files by its own zone', async () => {
    const s = await standIn({ historyDays: 0, malformedShare: 0, timeZone: 'Asia/Yekaterinburg' });
    const [call] = s.addCalls(1, { at: new Date('2025-11-23T20:30:00Z') });
    expect(call?.date).toBe('2025-11-24 01:30:00');
    const res = await get(logUrl(s, 'date_from=2025-11-24&date_to=2025-11-24'));
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it('pages with limit and offset in a stable order', async () => {
    const s = await standIn({ historyDays: 0, malformedShare: 0 });
    const added = s.addCalls(25, { at: new Date('2025-11-23T08:00:00Z') });
    const page = async (limit: number, offset: number) =>
      (
        (await (
          await get(
            logUrl(s, `date_from=2025-11-23&date_to=2025-11-23&limit=${limit}&offset=${offset}`),
          )
        ).json()) as {
          items: { callid: string }[];
        }
      ).items.map((c) => c.callid);
    expect(await page(10, 0)).toEqual(added.slice(0, 10).map((c) => c.callid));
    expect(await page(10, 20)).toEqual(added.slice(20).map((c) => c.callid));
    expect(await page(10, 30)).toEqual([]);
    expect(await page(10, 10)).toEqual(await page(10, 10));
  });

  it('answers 401 without the right Bearer token, 404 for another account, 400 for bad queries', async () => {
    const s = await standIn({ historyDays: 0 });
    const q = 'date_from=2025-11-23&date_to=2025-11-23';
    expect((await fetch(logUrl(s, q))).status).toBe(401);
    expect((await get(logUrl(s, q), 'wrong')).status).toBe(401);
    expect((await fetch(logUrl(s, q), { headers: { authorization: 'sandbox' } })).status).toBe(401);
    expect((await get(logUrl(s, q, 'other'))).status).toBe(404);
    for (const bad of [
      '',
      'date_from=2025-11-23',
      'date_from=23.11.2025&date_to=2025-11-23',
      'date_from=2025-02-30&date_to=2025-03-01',
      'date_from=2025-11-24&date_to=2025-11-23',
      `${q}&limit=1001`,
      `${q}&limit=0`,
      `${q}&offset=-1`,
    ]) {
      const res = await get(logUrl(s, bad));
      expect(res.status, bad).toBe(400);
    }
    expect(s.stats().requests).toMatchObject({
      unauthorized: 3,
      notFound: 1,
      badRequest: 8,
      ok: 0,
    });
  });

  it('goes down with 503 or silence, and comes back', async () => {
    const s = await standIn({ historyDays: 0 });
    const q = logUrl(s, 'date_from=2025-11-23&date_to=2025-11-23');
    s.setDown(true);
    const down = await get(q);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    s.setDown('timeout');
    const hung = get(q);
    await waitFor(() => s.stats().requests.held === 1);
    s.setDown(false);
    expect((await hung).status).toBe(503); // held requests are released, not left hanging
    expect((await get(q)).status).toBe(200);
  });

  it('drives the same controls over /__sandbox/', async () => {
    const s = await standIn({ historyDays: 0, malformedShare: 0 });
    const admin = s.url.replace('/v2/rest', '/__sandbox');
    const post = (path: string, body: unknown) =>
      fetch(`${admin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const added = await post('/calls', { count: 4, inboundOnly: true });
    expect(added.status).toBe(200);
    expect(((await added.json()) as { added: number }).added).toBe(4);
    expect(s.calls().every((c) => c.type?.toLowerCase() === 'inb')).toBe(true);
    expect((await post('/calls', { count: 'many' })).status).toBe(400);
    expect((await post('/down', { down: true })).status).toBe(200);
    expect((await get(logUrl(s, 'date_from=2025-11-23&date_to=2025-11-23'))).status).toBe(503);
    await post('/down', { down: false });
    const stats = (await (await fetch(`${admin}/stats`)).json()) as {
      calls: number;
      down: boolean;
    };
    expect(stats).toMatchObject({ calls: 4, down: false });
  });

  it('logs live calls that end about now, in the zone', async () => {
    const s = await createMcnStandIn({
      historyDays: 0,
      liveCallsPerMinute: 1200,
      malformedShare: 0,
    });
    open.push(s);
    const started = Date.now();
    await waitFor(() => s.stats().liveCallsAdded >= 10, { message: 'live calls' });
    const today = DateTime.now().setZone('Europe/Moscow');
    for (const c of s.calls()) {
      const end = DateTime.fromSQL(String(c.end_date), { zone: 'Europe/Moscow' });
      expect(end.toMillis()).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000 - 1000);
      expect(end.toMillis()).toBeLessThanOrEqual(Date.now() + 1000);
    }
    const res = await get(
      logUrl(s, `date_from=${today.minus({ days: 1 }).toISODate()}&date_to=${today.toISODate()}`),
    );
    expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(10);
  });

  it('closes idempotently and then refuses connections', async () => {
    const s = await standIn({ historyDays: 0 });
    await Promise.all([s.close(), s.close()]);
    await s.close();
    await expect(get(logUrl(s, 'date_from=2025-11-23&date_to=2025-11-23'))).rejects.toThrow();
  });
});
