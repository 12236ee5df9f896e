import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@touchline/testing';
import { recordingUrl } from '../src/index.ts';
import {
  body,
  firstChunk,
  KEYS,
  MCN_TOKEN,
  metricValue,
  open,
  startProxy,
  type Proxy,
} from './helpers.ts';

const running: Proxy[] = [];
async function proxy(options: Parameters<typeof startProxy>[0] = {}): Promise<Proxy> {
  const p = await startProxy(options);
  running.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.close()));
});

const outcome = (p: Proxy, value: string) =>
  metricValue(p.registry, 'touchline_recordings_requests_total', { outcome: value });
const mcnAsked = (p: Proxy) => p.mcn.stats().recordings.requests.total;
const connections = (p: Proxy) =>
  new Promise<number>((resolve, reject) =>
    p.app.server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
  );

describe('GET /v1/recordings/<callid>.mp3', () => {
  it("streams exactly MCN's bytes as audio/mpeg for every recorded call", async () => {
    const p = await proxy();
    const calls = p.recordedCalls(40);
    expect(calls.length).toBeGreaterThan(10);
    for (const callid of calls) {
      const res = await fetch(p.linker.urlFor(callid)!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/mpeg');
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      const bytes = await body(res);
      expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
      expect(bytes.equals(p.mcn.recordingOf(callid)!)).toBe(true);
    }
    expect(await outcome(p, 'served')).toBe(calls.length);
    expect(await metricValue(p.registry, 'touchline_recordings_bytes_total')).toBe(
      calls.reduce((sum, c) => sum + p.mcn.recordingOf(c)!.length, 0),
    );
    expect(
      await metricValue(p.registry, 'touchline_mcn_requests_total', {
        kind: 'record',
        outcome: 'ok',
      }),
    ).toBe(calls.length);
    expect(p.routes.streamsInUse()).toBe(0);
  });

  it('serves a Range with 206 and exactly those bytes (MCN honours the range)', async () => {
    const p = await proxy();
    const [callid] = p.recordedCalls();
    const whole = p.mcn.recordingOf(callid!)!;
    const res = await fetch(p.linker.urlFor(callid!)!, { headers: { range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-199/${whole.length}`);
    expect(res.headers.get('content-length')).toBe('100');
    expect((await body(res)).equals(whole.subarray(100, 200))).toBe(true);
    expect(p.mcn.stats().recordings.requests.partial).toBe(1);

    const past = await fetch(p.linker.urlFor(callid!)!, {
      headers: { range: `bytes=${whole.length}-` },
    });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    expect(await outcome(p, 'range_not_satisfiable')).toBe(1);
  });

  it('slices the stream itself when MCN ignores Range, and lets MCN go once the slice is out', async () => {
    const p = await proxy({ mcn: { recordingRanges: false, recordingBytes: 4 << 20 } });
    const [callid] = p.recordedCalls();
    const whole = p.mcn.recordingOf(callid!)!;
    for (const [range, start, end] of [
      ['bytes=100-199', 100, 199],
      ['bytes=-300', whole.length - 300, whole.length - 1],
      [`bytes=${whole.length - 10}-`, whole.length - 10, whole.length - 1],
      ['bytes=1000000-1065535', 1_000_000, 1_065_535],
    ] as const) {
      const res = await fetch(p.linker.urlFor(callid!)!, { headers: { range } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${whole.length}`);
      expect((await body(res)).equals(whole.subarray(start, end + 1))).toBe(true);
    }
    // The first slice ends 4 MB before MCN's file does: that stream was cut, not drained.
    await waitFor(() => p.mcn.stats().recordings.streamsOpen === 0, { message: 'MCN released' });
    expect(p.mcn.stats().recordings.requests.ok).toBe(4);
    const past = await fetch(p.linker.urlFor(callid!)!, {
      headers: { range: `bytes=${whole.length}-` },
    });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });

  it('answers HEAD with the size and no body, without MCN sending the file', async () => {
    const p = await proxy();
    const [callid] = p.recordedCalls();
    const size = p.mcn.recordingOf(callid!)!.length;
    const head = await fetch(p.linker.urlFor(callid!)!, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('audio/mpeg');
    expect(Number(head.headers.get('content-length'))).toBe(size);
    expect((await body(head)).length).toBe(0);
    // Asked as bytes=0-0: one byte from MCN, not the recording.
    expect(p.mcn.stats().recordings.requests).toMatchObject({ partial: 1, ok: 0 });

    const ranged = await fetch(p.linker.urlFor(callid!)!, {
      method: 'HEAD',
      headers: { range: 'bytes=100-199' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${size}`);
    expect(ranged.headers.get('content-length')).toBe('100');
  });

  it('answers 403 to a missing, tampered or foreign signature without asking MCN', async () => {
    const p = await proxy();
    const [callid] = p.recordedCalls();
    const url = new URL(p.linker.urlFor(callid!)!);
    const sig = url.searchParams.get('sig')!;
    const variants = [
      `${url.origin}${url.pathname}`,
      `${url.origin}${url.pathname}?sig=${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      `${url.origin}${url.pathname}?sig=v9.${sig.slice(3)}`,
      // A valid signature of another call on this call's path.
      `${url.origin}${url.pathname}${new URL(p.linker.urlFor(`${callid!}0`)!).search}`,
      // This call's signature on a path that is no recording name.
      `${url.origin}/v1/recordings/${callid!}.MP3?sig=${sig}`,
      `${url.origin}/v1/recordings/${callid!}~2.mp3?sig=${sig}`,
      recordingUrl(p.base, callid!, {
        currentVersion: 'v1',
        keys: new Map([['v1', 'someone-elses-key-0123456789abcdefgh']]),
      }),
    ];
    for (const variant of variants) {
      const res = await fetch(variant);
      expect(res.status, variant).toBe(403);
    }
    expect(mcnAsked(p)).toBe(0);
    expect(await outcome(p, 'forbidden')).toBe(variants.length);
    expect((await fetch(url)).status).toBe(200);
  });

  it('answers 404 for a call MCN does not know, after the brief retries', async () => {
    const p = await proxy();
    const res = await fetch(p.linker.urlFor('116-0000000000.404')!);
    expect(res.status).toBe(404);
    expect(mcnAsked(p)).toBe(4);
    expect(await outcome(p, 'not_found')).toBe(1);
    expect(
      await metricValue(p.registry, 'touchline_mcn_requests_total', {
        kind: 'record',
        outcome: 'not_found',
      }),
    ).toBe(4);
  });

  it('waits for a recording that is not ready yet, then serves it', async () => {
    // MCN's clock stands still until the proxy has been told "not ready" once, then moves past
    // the moment the recording is written: the wait is shown whatever the machine's load.
    let clock = Date.now();
    const p = await proxy({
      mcn: { recordingNotReadyShare: 1, recordingNotReadyMs: 60_000, now: () => new Date(clock) },
      routes: { retryDelaysMs: [300, 600, 1_200, 2_400] },
    });
    const [callid] = p.recordedCalls();
    const answer = fetch(p.linker.urlFor(callid!)!);
    await waitFor(() => p.mcn.stats().recordings.requests.notReady >= 1, {
      message: 'MCN answered "not ready"',
    });
    clock += 60_000;
    const res = await answer;
    expect(res.status).toBe(200);
    expect((await body(res)).equals(p.mcn.recordingOf(callid!)!)).toBe(true);
    expect(p.mcn.stats().recordings.requests.notReady).toBeGreaterThanOrEqual(1);
    expect(p.mcn.stats().recordings.requests.ok).toBe(1);
  });

  it('answers 502 with Retry-After when MCN keeps failing', async () => {
    const p = await proxy();
    const [callid] = p.recordedCalls();
    p.mcn.setDown(true);
    const res = await fetch(p.linker.urlFor(callid!)!);
    expect(res.status).toBe(502);
    expect(res.headers.get('retry-after')).toBe('5'); // MCN's own hint
    expect(mcnAsked(p)).toBe(4);
    expect(await outcome(p, 'upstream_error')).toBe(1);
    p.mcn.setDown(false);
    expect((await fetch(p.linker.urlFor(callid!)!)).status).toBe(200);
  });

  it('answers 502 at once when MCN refuses the token (no retry can help)', async () => {
    const p = await proxy({ token: 'a-wrong-mcn-token-1234' });
    const [callid] = p.recordedCalls();
    const res = await fetch(p.linker.urlFor(callid!)!);
    expect(res.status).toBe(502);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(mcnAsked(p)).toBe(1);
    expect(p.logText()).not.toContain('a-wrong-mcn-token-1234');
  });

  it('releases the MCN connection when the listener disconnects mid-stream', async () => {
    const p = await proxy({ mcn: { recordingBytes: 32 << 20 } });
    const [callid] = p.recordedCalls();
    const { req, res } = await open(p.linker.urlFor(callid!)!);
    await firstChunk(res);
    expect(p.mcn.stats().recordings.streamsOpen).toBe(1);
    req.destroy();
    await waitFor(() => p.mcn.stats().recordings.streamsOpen === 0, { message: 'MCN released' });
    await waitFor(() => p.routes.streamsInUse() === 0, { message: 'slot released' });
    expect(p.mcn.stats().recordings.bytesServed).toBe(0); // cut, not sent whole
    expect(
      await metricValue(p.registry, 'touchline_recordings_streams_interrupted_total', {
        cause: 'client_closed',
      }),
    ).toBe(1);
    expect(await metricValue(p.registry, 'touchline_recordings_streams_active')).toBe(0);
  });

  it('stops asking MCN when the listener leaves during the retries', async () => {
    const p = await proxy({
      mcn: { recordingNotReadyShare: 1, recordingNotReadyMs: 60_000 },
      routes: { retryDelaysMs: [1_000, 1_000, 1_000] },
    });
    const [callid] = p.recordedCalls();
    const req = request(p.linker.urlFor(callid!)!);
    req.on('error', () => undefined).end();
    await waitFor(() => mcnAsked(p) === 1, { message: 'the first attempt' });
    req.destroy();
    await waitFor(() => p.routes.streamsInUse() === 0, { message: 'slot released' });
    expect(
      await metricValue(p.registry, 'touchline_recordings_streams_interrupted_total', {
        cause: 'client_closed',
      }),
    ).toBe(1);
    expect(mcnAsked(p)).toBe(1);
  });

  it('cuts off a listener that stops reading, so MCN is not held open', async () => {
    const p = await proxy({
      mcn: { recordingBytes: 32 << 20 },
      routes: { idleTimeoutMs: 300 },
    });
    const [callid] = p.recordedCalls();
    const { res } = await open(p.linker.urlFor(callid!)!);
    await firstChunk(res); // and never reads again, never disconnects
    await waitFor(() => p.mcn.stats().recordings.streamsOpen === 0, { message: 'MCN released' });
    await waitFor(async () => (await connections(p)) === 0, {
      message: 'the listener socket closed',
    });
    expect(p.routes.streamsInUse()).toBe(0);
    expect(
      await metricValue(p.registry, 'touchline_recordings_streams_interrupted_total', {
        cause: 'client_idle',
      }),
    ).toBe(1);
    // The listener learns it once it reads again: the body ends short, never "complete".
    const ended = new Promise((resolve) => res.once('close', resolve));
    res.on('error', () => undefined).resume();
    await ended;
    expect(res.complete).toBe(false);
  });

  it('refuses streams past the bound with 503 + Retry-After, and recovers', async () => {
    const p = await proxy({ mcn: { recordingBytes: 32 << 20 }, routes: { maxStreams: 2 } });
    const [a, b, c] = p.recordedCalls();
    const held = await Promise.all([a, b].map((id) => open(p.linker.urlFor(id!)!)));
    await Promise.all(held.map(({ res }) => firstChunk(res)));
    const refused = await fetch(p.linker.urlFor(c!)!);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await outcome(p, 'busy')).toBe(1);
    expect(p.mcn.stats().recordings.requests.total).toBe(2);
    for (const { req } of held) req.destroy();
    await waitFor(() => p.routes.streamsInUse() === 0, { message: 'slots released' });
    expect((await fetch(p.linker.urlFor(c!)!, { method: 'HEAD' })).status).toBe(200);
  });

  it('never lets the MCN token into a URL, a log line, a metric or an answer', async () => {
    const p = await proxy({ mcn: { recordingNotReadyShare: 0.5, recordingMissingShare: 0.2 } });
    const calls = p.recordedCalls(40);
    const urls = [...calls, 'unknown-call', 'a/b?c'].map((c) => p.linker.urlFor(c)!);
    const seen: string[] = [...urls];
    for (const url of urls) {
      const res = await fetch(url, { headers: { range: 'bytes=0-99' } });
      seen.push(JSON.stringify([...res.headers]), (await body(res)).toString('latin1'));
    }
    seen.push((await fetch(`${urls[0]}x`)).headers.get('content-type') ?? '');
    p.mcn.setDown(true);
    const failed = await fetch(urls[0]!);
    seen.push(JSON.stringify([...failed.headers]), await failed.text());
    seen.push(p.logText(), await p.registry.metrics());
    expect(await outcome(p, 'served')).toBeGreaterThan(0);
    expect(await outcome(p, 'not_found')).toBeGreaterThan(0);
    // There is something to search: the failure was logged, with MCN's answer.
    expect(p.logText()).toMatch(/HTTP 503/);
    for (const text of seen) expect(text).not.toContain(MCN_TOKEN);
    for (const url of urls) expect(url).not.toContain(KEYS.keys.get('v1'));
  });
});
