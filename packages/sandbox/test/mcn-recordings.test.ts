import { afterEach, describe, expect, it } from 'vitest';
import { createMcnStandIn, type McnStandIn } from '../src/mcn/index.ts';
import { MP3_FRAME_BYTES, mp3Bytes, mp3Size, seedOf } from '../src/mcn/mp3.ts';
import { resolveByteRange } from '../src/mcn/routes-recording.ts';

let clock = new Date('2025-11-23T09:00:00Z');
const open: McnStandIn[] = [];

async function standIn(options: Parameters<typeof createMcnStandIn>[0] = {}): Promise<McnStandIn> {
  const s = await createMcnStandIn({
    now: () => clock,
    historyDays: 0,
    liveCallsPerMinute: 0,
    malformedShare: 0,
    recordingNotReadyShare: 0,
    recordingMissingShare: 0,
    ...options,
  });
  open.push(s);
  return s;
}

afterEach(async () => {
  clock = new Date('2025-11-23T09:00:00Z');
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const recordUrl = (s: McnStandIn, callid: string) =>
  `${s.url}/account/${s.accountId}/vpbx/${s.vpbxId}/call_log/record?call_id=${encodeURIComponent(callid)}`;
const get = (url: string, headers: Record<string, string> = {}, method = 'GET') =>
  fetch(url, { method, headers: { authorization: 'Bearer sandbox', ...headers } });
const bytes = async (res: Response) => Buffer.from(await res.arrayBuffer());

/** Calls ending now, split into those with a recording (answered) and those without. */
function calls(s: McnStandIn, count = 40) {
  const added = s.addCalls(count, { inboundOnly: true });
  return {
    recorded: added.filter((c) => c.has_record === 1).map((c) => c.callid),
    unrecorded: added.filter((c) => c.has_record === 0).map((c) => c.callid),
  };
}

/** Reads an MP3 the way a decoder finds its frames: each header says how long its frame is. */
function frames(file: Buffer): number {
  const BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
  const RATES = [44_100, 48_000, 32_000];
  let at = 0;
  let count = 0;
  while (at < file.length) {
    expect(file[at]).toBe(0xff);
    const b1 = file[at + 1]!;
    const b2 = file[at + 2]!;
    expect(b1 & 0xe0).toBe(0xe0); // sync
    expect((b1 >> 3) & 3).toBe(3); // MPEG-1
    expect((b1 >> 1) & 3).toBe(1); // Layer III
    const bitrate = BITRATES[b2 >> 4]! * 1000;
    const rate = RATES[(b2 >> 2) & 3]!;
    const length = Math.floor((144 * bitrate) / rate) + ((b2 >> 1) & 1);
    // Side information all zero: no main data, every granule decodes to silence.
    expect(file.subarray(at + 4, at + 21).every((b) => b === 0)).toBe(true);
    at += length;
    count += 1;
  }
  expect(at).toBe(file.length);
  return count;
}

describe('sandbox MP3 recordings', () => {
  it('are whole chains of valid MPEG-1 Layer III frames of silence', () => {
    expect(mp3Size(1)).toBe(MP3_FRAME_BYTES);
    expect(mp3Size(8 * 1024)).toBe(22 * MP3_FRAME_BYTES);
    const file = mp3Bytes(seedOf('a'), mp3Size(8 * 1024));
    expect(frames(file)).toBe(22);
  });

  it('are distinct per call and the same every time, and any range is a slice of the whole', () => {
    const size = mp3Size(5000);
    const a = mp3Bytes(seedOf('call-a'), size);
    expect(mp3Bytes(seedOf('call-a'), size)).toEqual(a);
    expect(mp3Bytes(seedOf('call-b'), size)).not.toEqual(a);
    for (const [start, end] of [
      [0, 0],
      [100, 199],
      [383, 384],
      [1000, size - 1],
    ] as const) {
      expect(mp3Bytes(seedOf('call-a'), size, start, end)).toEqual(a.subarray(start, end + 1));
    }
  });

  it('reads ranges as a file server does', () => {
    expect(resolveByteRange('bytes=100-199', 1000)).toEqual({ start: 100, end: 199 });
    expect(resolveByteRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(resolveByteRange('bytes=-10', 1000)).toEqual({ start: 990, end: 999 });
    expect(resolveByteRange('bytes=500-5000', 1000)).toEqual({ start: 500, end: 999 });
    expect(resolveByteRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(resolveByteRange('bytes=-0', 1000)).toBe('unsatisfiable');
    for (const ignored of [undefined, 'bytes=1-2,5-6', 'items=1-2', 'bytes=5-2', 'bytes=-']) {
      expect(resolveByteRange(ignored, 1000)).toBeUndefined();
    }
  });
});

describe('MCN stand-in call_log/record', () => {
  it('serves every recorded call its own mp3, and 404 for calls without one', async () => {
    const s = await standIn();
    const { recorded, unrecorded } = calls(s);
    expect(recorded.length).toBeGreaterThan(5);
    expect(unrecorded.length).toBeGreaterThan(0);
    for (const callid of recorded) {
      const res = await get(recordUrl(s, callid));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/mpeg');
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      const body = await bytes(res);
      expect(Number(res.headers.get('content-length'))).toBe(body.length);
      expect(body).toEqual(s.recordingOf(callid));
    }
    for (const callid of [...unrecorded, 'no-such-call']) {
      expect((await get(recordUrl(s, callid))).status).toBe(404);
      expect(s.recordingOf(callid)).toBeUndefined();
    }
    expect(s.stats().recordings).toMatchObject({
      requests: { ok: recorded.length, notFound: unrecorded.length + 1 },
      streamsOpen: 0,
      bytesServed: recorded.length * mp3Size(8 * 1024),
    });
  });

  it('checks the Bearer token and the account like the call log', async () => {
    const s = await standIn();
    const [callid] = calls(s).recorded;
    expect((await get(recordUrl(s, callid!), { authorization: 'Bearer wrong' })).status).toBe(401);
    const other = recordUrl(s, callid!).replace(`/account/${s.accountId}/`, '/account/other/');
    expect((await get(other)).status).toBe(404);
    expect((await get(recordUrl(s, '').replace('call_id=', 'x='))).status).toBe(400);
  });

  it('honours Range: 206 with Content-Range, suffix ranges, 416 past the end', async () => {
    const s = await standIn();
    const [callid] = calls(s).recorded;
    const whole = s.recordingOf(callid!)!;
    const part = await get(recordUrl(s, callid!), { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${whole.length}`);
    expect(await bytes(part)).toEqual(whole.subarray(100, 200));
    const tail = await get(recordUrl(s, callid!), { range: 'bytes=-50' });
    expect(await bytes(tail)).toEqual(whole.subarray(whole.length - 50));
    const past = await get(recordUrl(s, callid!), { range: `bytes=${whole.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });

  it('ignores Range when told to, as some servers do', async () => {
    const s = await standIn({ recordingRanges: false });
    const [callid] = calls(s).recorded;
    const res = await get(recordUrl(s, callid!), { range: 'bytes=100-199' });
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBeNull();
    expect(await bytes(res)).toEqual(s.recordingOf(callid!));
  });

  it('answers HEAD with the headers only', async () => {
    const s = await standIn();
    const [callid] = calls(s).recorded;
    const res = await get(recordUrl(s, callid!), {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBe(s.recordingOf(callid!)!.length);
    expect((await bytes(res)).length).toBe(0);
  });

  it('is "not ready" (404) for the first seconds after the end, then serves the file', async () => {
    const s = await standIn({ recordingNotReadyShare: 1, recordingNotReadyMs: 3_000 });
    const [callid] = calls(s).recorded;
    expect((await get(recordUrl(s, callid!))).status).toBe(404);
    clock = new Date(clock.getTime() + 3_001);
    const res = await get(recordUrl(s, callid!));
    expect(res.status).toBe(200);
    expect(await bytes(res)).toEqual(s.recordingOf(callid!));
    expect(s.stats().recordings.requests).toMatchObject({ notReady: 1, ok: 1 });
  });

  it('never finds the missing share, and the shares are fixed per call', async () => {
    const s = await standIn({ recordingMissingShare: 0.5 });
    const again = await standIn({ recordingMissingShare: 0.5 });
    const { recorded } = calls(s, 200);
    again.addCalls(200, { inboundOnly: true });
    const missing = recorded.filter((c) => s.recordingOf(c) === undefined);
    expect(missing.length / recorded.length).toBeGreaterThan(0.3);
    expect(missing.length / recorded.length).toBeLessThan(0.7);
    expect(recorded.filter((c) => again.recordingOf(c) === undefined)).toEqual(missing);
    expect((await get(recordUrl(s, missing[0]!))).status).toBe(404);
  });

  it('is down with the rest of the API', async () => {
    const s = await standIn();
    const [callid] = calls(s).recorded;
    s.setDown(true);
    const res = await get(recordUrl(s, callid!));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });

  it('serves a 1 MB recording as a stream', async () => {
    const s = await standIn({ recordingBytes: 1024 * 1024 });
    const [callid] = calls(s).recorded;
    const res = await get(recordUrl(s, callid!));
    const body = await bytes(res);
    expect(body.length).toBe(mp3Size(1024 * 1024));
    expect(frames(body)).toBe(mp3Size(1024 * 1024) / MP3_FRAME_BYTES);
  });
});
