import { afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, freePort, waitFor } from '@touchline/testing';
import { importable, startStack, type Stack } from './stack.ts';

const SIGNING_KEY = 'e2e-recordings-signing-key-0123456789abcdef';
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/**
 * Issue 15's acceptance as production runs it: the poller, the worker and the public HTTP role
 * as processes with RECORDINGS_PUBLIC_URL set; MCN's stand-in keeps recordings; Calltouch's
 * stand-in stores what it is sent; the test plays each recordUrl as Calltouch's player would.
 */
describe('call recordings, end to end with the roles as processes', () => {
  it('every recorded answered call carries a recordUrl that plays MCN’s bytes; the others none', async () => {
    stack = await startStack(TEST_REDIS_URL, {
      calltouch: { latencyMs: { min: 5, max: 20 } },
      mcn: {
        historyDays: 0,
        callsPerDay: 0,
        liveCallsPerMinute: 0,
        malformedShare: 0,
        recordingNotReadyShare: 0,
        recordingMissingShare: 0,
      },
    });
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const env = {
      MCN_POLL_INTERVAL_SECONDS: '1',
      CRM_LISTENER_PORT: String(port),
      CRM_WEBHOOK_SECRET: 'e2e-crm-secret-0123456789',
      RECORDINGS_PUBLIC_URL: publicUrl,
      RECORDINGS_SIGNING_KEY: SIGNING_KEY,
    };
    await stack.start('worker', env);
    await stack.start('mcn-poller', env);
    await stack.start('crm-listener', env);
    const { mcn, calltouch } = stack.sandbox;
    const calls = importable(mcn.addCalls(40));
    await waitFor(() => calls.every((c) => calltouch.call(c.callid)), {
      timeoutMs: 30_000,
      message: 'every call at Calltouch',
    });

    const recorded = calls.filter((c) => mcn.recordingOf(c.callid) !== undefined);
    const unrecorded = calls.filter((c) => mcn.recordingOf(c.callid) === undefined);
    expect(recorded.length).toBeGreaterThan(5);
    expect(unrecorded.length).toBeGreaterThan(5);
    for (const c of unrecorded) expect(calltouch.call(c.callid)?.call.recordUrl).toBeUndefined();

    for (const c of recorded) {
      const url = calltouch.call(c.callid)?.call.recordUrl;
      expect(url?.startsWith(`${publicUrl}/v1/recordings/`)).toBe(true);
      // Nothing secret in a URL handed to Calltouch.
      expect(url).not.toContain(SIGNING_KEY);
      expect(url).not.toContain(mcn.token);
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('audio/mpeg');
      expect(Buffer.from(await res.arrayBuffer()).equals(mcn.recordingOf(c.callid)!)).toBe(true);
    }

    const [first] = recorded;
    const url = calltouch.call(first!.callid)!.call.recordUrl!;
    const ranged = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(ranged.status).toBe(206);
    expect(
      Buffer.from(await ranged.arrayBuffer()).equals(
        mcn.recordingOf(first!.callid)!.subarray(100, 200),
      ),
    ).toBe(true);

    // A signature changed by one character, or moved to another call, is refused.
    const signed = new URL(url);
    const sig = signed.searchParams.get('sig')!;
    signed.searchParams.set('sig', `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`);
    expect((await fetch(signed)).status).toBe(403);
    const other = new URL(calltouch.call(recorded[1]!.callid)!.call.recordUrl!);
    other.searchParams.set('sig', sig);
    expect((await fetch(other)).status).toBe(403);
    expect(calltouch.stats().calls.duplicates).toBe(0);
  });
});
