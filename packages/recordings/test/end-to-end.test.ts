import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCalltouchCall, type ToCalltouchCallOptions } from '@touchline/calls';
import { createCalltouchClient, type CalltouchCall } from '@touchline/calltouch';
import { createMcnClient, type McnCall } from '@touchline/mcn';
import { createCalltouchStandIn, type CalltouchStandIn } from '@touchline/sandbox';
import { waitFor } from '@touchline/testing';
import { body, MCN_TOKEN, metricValue, startProxy, type Proxy } from './helpers.ts';

// The acceptance path on the sandbox: MCN call log → mapping with recording links → Calltouch
// import (pbx-batch and pbx-single) → Calltouch's player fetches each recordUrl → the proxy
// streams MCN's audio. Real stand-ins, real clients, loopback HTTP; nothing mocked.

let proxy: Proxy;
let calltouch: CalltouchStandIn;
let mcnCalls: McnCall[];
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  proxy = await startProxy({
    mcn: { recordingNotReadyShare: 0.3, recordingNotReadyMs: 1_000, recordingMissingShare: 0.1 },
    routes: { retryDelaysMs: [300, 400, 500] },
  });
  calltouch = await createCalltouchStandIn({
    latencyMs: { min: 0, max: 0 },
    rateLimit: 10_000,
    fetchRecordings: true,
  });
  proxy.mcn.addCalls(150); // all directions and statuses, ending now
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const log = await createMcnClient({
    apiUrl: proxy.mcn.url,
    token: MCN_TOKEN,
    accountId: proxy.mcn.accountId,
    vpbxId: proxy.mcn.vpbxId,
  }).fetchCallLog(yesterday < today ? yesterday : today, tomorrow);
  mcnCalls = log.calls;
  expect(mcnCalls.length).toBe(150);

  const mapping: ToCalltouchCallOptions = {
    mcnTimeZone: 'Europe/Moscow',
    calltouchTimeZone: 'Europe/Moscow',
    recordings: proxy.linker,
  };
  const mapped = mcnCalls
    .map((call) => toCalltouchCall(call, mapping))
    .flatMap((m) => (m.kind === 'call' ? [m.call] : []));
  const settings = {
    apiUrl: calltouch.url,
    atsUrl: calltouch.url,
    ...calltouch.credentials,
    timeoutMs: 10_000,
  };
  const batch = createCalltouchClient({ ...settings, callsMode: 'pbx-batch' });
  const single = createCalltouchClient({ ...settings, callsMode: 'pbx-single' });
  // Five recorded calls the documented single-call way (callrecordurl), the rest in batches.
  const singles = mapped.filter((c) => c.recordUrl !== undefined).slice(0, 5);
  const batched = mapped.filter((c) => !singles.includes(c));
  for (const call of singles) await single.importCalls([call]);
  for (let i = 0; i < batched.length; i += 100) await batch.importCalls(batched.slice(i, i + 100));
}, 60_000);

afterAll(async () => {
  await calltouch?.close();
  await proxy?.close();
});

const received = (): CalltouchCall[] =>
  Object.values(calltouch.calls()).map(({ call }) => call as CalltouchCall);
const recorded = (call: McnCall) =>
  String(call.status).toUpperCase() === 'ANSWERED' && call.has_record === 1;

describe('recordings end to end on the sandbox', () => {
  it('every recorded, answered call arrives with a recordUrl; the others without', () => {
    const byId = new Map(received().map((c) => [c.referenceId, c]));
    const inbound = mcnCalls.filter((c) => String(c.type).toLowerCase() === 'inb');
    expect(byId.size).toBe(inbound.length);
    let linked = 0;
    for (const call of inbound) {
      const url = byId.get(call.callid)?.recordUrl;
      if (recorded(call)) {
        expect(url, call.callid).toMatch(
          /^http:\/\/127\.0\.0\.1:\d+\/v1\/recordings\/.+\.mp3\?sig=v1\./,
        );
        linked += 1;
      } else {
        expect(url, call.callid).toBeUndefined();
      }
    }
    expect(linked).toBeGreaterThan(50);
    expect(linked).toBeLessThan(inbound.length);
    // The pbx-single calls came through callrecordurl.
    const singles = Object.values(calltouch.calls()).filter((c) => c.via === 'pbx-single');
    expect(singles.length).toBe(5);
    for (const { call } of singles) expect(call.recordUrl).toContain('/v1/recordings/');
  });

  it("the player fetches exactly MCN's bytes as audio/mpeg; a recording MCN never has is 404", async () => {
    const linked = received().filter((c) => c.recordUrl !== undefined);
    await waitFor(() => Object.keys(calltouch.recordings()).length === linked.length, {
      timeoutMs: 30_000,
      message: 'every recordUrl played',
    });
    const played = calltouch.recordings();
    let ok = 0;
    for (const call of linked) {
      const expected = proxy.mcn.recordingOf(call.referenceId);
      const fetch = played[call.referenceId]!;
      if (expected === undefined) {
        expect(fetch.status, call.referenceId).toBe(404);
      } else {
        expect(fetch, call.referenceId).toMatchObject({
          status: 200,
          contentType: 'audio/mpeg',
          bytes: expected.length,
          sha256: sha(expected),
        });
        ok += 1;
      }
    }
    expect(ok).toBeGreaterThan(linked.length / 2);
    // Whether a recording was still being written when the player came depends on how long
    // the import took; routes.test.ts shows the proxy waiting for one, on a clock it controls.
    expect(calltouch.stats().recordings.player.byStatus['200']).toBe(ok);
  });

  it('a URL Calltouch holds answers a Range with 206, and refuses a tampered one with 403', async () => {
    const call = received().find(
      (c) => c.recordUrl !== undefined && proxy.mcn.recordingOf(c.referenceId),
    )!;
    const whole = proxy.mcn.recordingOf(call.referenceId)!;
    const res = await fetch(call.recordUrl!, { headers: { range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect((await body(res)).equals(whole.subarray(100, 200))).toBe(true);
    const asked = proxy.mcn.stats().recordings.requests.total;
    const tampered = call.recordUrl!.replace(/sig=v1\.(.)/, (_, c: string) =>
      c === 'A' ? 'sig=v1.B' : 'sig=v1.A',
    );
    expect((await fetch(tampered)).status).toBe(403);
    expect(proxy.mcn.stats().recordings.requests.total).toBe(asked);
  });

  it('the MCN token is nowhere: not in Calltouch, the logs, the metrics or a URL', async () => {
    const everything = [
      JSON.stringify(calltouch.calls()),
      JSON.stringify(calltouch.recordings()),
      proxy.logText(),
      await proxy.registry.metrics(),
    ].join('\n');
    expect(everything).toContain('/v1/recordings/');
    expect(everything).not.toContain(MCN_TOKEN);
    expect(
      await metricValue(proxy.registry, 'touchline_recordings_requests_total', {
        outcome: 'served',
      }),
    ).toBeGreaterThan(0);
  });
});
