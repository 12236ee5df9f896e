import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@touchline/testing';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import type { RecordingFetch } from '../src/index.ts';
import { call, startStandIn } from './calltouch-helpers.ts';

// A recordings host on loopback: the stand-in's player fetches from it as from Touchline.
const AUDIO = Buffer.alloc(5000, 0x2a);
let host: Server;
let hostUrl = '';
const hits: string[] = [];
beforeAll(async () => {
  host = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url?.startsWith('/missing')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': AUDIO.length });
    res.end(AUDIO);
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => host.close(resolve)));

const running: { close(): Promise<void> }[] = [];
async function standIn(fetchRecordings: boolean) {
  const t = await startStandIn({ rateLimit: 10_000, fetchRecordings });
  running.push(t.standIn);
  return t;
}
afterEach(async () => {
  hits.length = 0;
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const url = (name: string) => `${hostUrl}/v1/recordings/${name}.mp3?sig=v1.x`;

describe('Calltouch stand-in and recordings', () => {
  it('keeps recordUrl of imported calls, refuses one that is not an http(s) URL', async () => {
    const t = await standIn(false);
    expect((await t.importCalls([call(1, { recordUrl: url('a') }), call(2)])).status).toBe(200);
    const calls = t.standIn.calls();
    expect(calls['ref-1']?.call.recordUrl).toBe(url('a'));
    expect(calls['ref-2']?.call.recordUrl).toBeUndefined();
    expect(t.standIn.stats().recordings.linked).toBe(1);
    for (const bad of ['', 'dialup.mp3', 'ftp://x/a.mp3']) {
      expect((await t.importCalls([call(3, { recordUrl: bad })])).status).toBe(400);
    }
    expect(hits).toEqual([]); // not playing unless asked
  });

  it('takes callrecordurl in the single-call GET (pbx-single)', async () => {
    const t = await standIn(false);
    const { atsCode, atsToken } = t.standIn.credentials;
    const query = new URLSearchParams({
      apikey: atsToken,
      model: 'telemirfact',
      callid: 'single-1',
      callerid: '79991234567',
      phonenumber: '74950000000',
      date: '2026-11-24 10:00:00',
      duration: '30',
      waitingtime: '10',
      status: 'successful',
      callrecordurl: url('single'),
    });
    const res = await fetch(
      `${t.standIn.url}/event-service/platform/${atsCode}/inbound-call?${String(query)}`,
    );
    expect(res.status).toBe(200);
    expect(t.standIn.calls()['single-1']?.call.recordUrl).toBe(url('single'));
  });

  it('plays each new recordUrl once and counts what it got', async () => {
    const t = await standIn(true);
    const sha = createHash('sha256').update(AUDIO).digest('hex');
    await t.importCalls([
      call(1, { recordUrl: url('one') }),
      call(2, { recordUrl: url('two') }),
      call(3, { recordUrl: `${hostUrl}/missing/three.mp3` }),
      call(4),
    ]);
    await waitFor(() => Object.keys(t.standIn.recordings()).length === 3, {
      message: 'three recordings played',
    });
    const played = t.standIn.recordings();
    expect(played['ref-1']).toMatchObject<Partial<RecordingFetch>>({
      status: 200,
      contentType: 'audio/mpeg',
      bytes: AUDIO.length,
      sha256: sha,
    });
    expect(played['ref-3']).toMatchObject({ status: 404 });
    expect(t.standIn.stats().recordings.player).toMatchObject({
      queued: 3,
      byStatus: { '200': 2, '404': 1 },
      bytes: 2 * AUDIO.length,
      inFlight: 0,
    });
    // A re-import of the same call is not a second play.
    await t.importCalls([call(1, { recordUrl: url('one') })]);
    expect(t.standIn.stats().recordings.player.queued).toBe(3);
    const admin = (await (await t.admin('/recordings')).json()) as {
      fetches: Record<string, RecordingFetch>;
    };
    expect(Object.keys(admin.fetches).sort()).toEqual(['ref-1', 'ref-2', 'ref-3']);
    expect(hits.filter((h) => h.includes('/one.mp3'))).toHaveLength(1);
  });

  it('records a failed play (nothing listening) without failing the import', async () => {
    const t = await standIn(true);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x.mp3`;
    await new Promise((resolve) => closed.close(resolve));
    expect((await t.importCalls([call(9, { recordUrl: dead })])).status).toBe(200);
    await waitFor(() => t.standIn.recordings()['ref-9'], { message: 'the play finished' });
    expect(t.standIn.recordings()['ref-9']).toMatchObject({ bytes: 0 });
    expect(t.standIn.recordings()['ref-9']?.error).toBeTruthy();
    expect(t.standIn.stats().recordings.player.byStatus).toEqual({ error: 1 });
  });
});
