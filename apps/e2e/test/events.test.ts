import { afterEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, freePort, waitFor } from '@touchline/testing';
import { importable, startStack, type Stack } from './stack.ts';

const MCN_SECRET = 'e2e-mcn-events-secret-41ab';
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

/** Worker, poller and the public HTTP role as processes; the sandbox's MCN sends events to it. */
async function startWithEvents(pollSeconds: number) {
  stack = await startStack(TEST_REDIS_URL, {
    calltouch: { latencyMs: { min: 20, max: 60 } },
    mcn: { historyDays: 0, callsPerDay: 0, liveCallsPerMinute: 0, malformedShare: 0 },
  });
  const port = await freePort();
  const env = {
    MCN_WEBHOOK_SECRET: MCN_SECRET,
    MCN_POLL_INTERVAL_SECONDS: String(pollSeconds),
    CRM_LISTENER_PORT: String(port),
    CRM_WEBHOOK_SECRET: 'e2e-crm-secret-0123456789',
  };
  await stack.start('worker', env);
  await stack.start('mcn-poller', env);
  await stack.start('crm-listener', env);
  const listener = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${listener}/readyz`).catch(() => undefined))?.ok, {
    timeoutMs: 30_000,
    message: 'listener ready',
  });
  stack.sandbox.mcn.setEvents({ url: `${listener}/v1/mcn/events`, secret: MCN_SECRET });
  return { stack, listener };
}

describe('MCN events as processes', () => {
  it('calls with an event and calls without one all arrive (the poll is the safety net)', async () => {
    const { stack } = await startWithEvents(3);
    const { mcn, calltouch } = stack.sandbox;
    // A third of the calls end without an event (an IVR, a queue), some reach the log late.
    mcn.setEvents({ share: 0.67, lateLogShare: 0.2, duplicateShare: 0.2 });
    const calls = importable(mcn.addCalls(60, { inboundOnly: true }));
    await waitFor(() => calls.every((c) => calltouch.call(c.callid)), {
      timeoutMs: 30_000,
      message: 'every call at Calltouch',
    });
    const events = mcn.stats().events;
    expect(events.withoutEvent).toBeGreaterThan(0);
    expect(events.sent).toBeGreaterThan(0);
    expect(calltouch.stats().calls.duplicates).toBe(0);
  });

  it('an event storm during an MCN outage loses nothing', async () => {
    const { stack, listener } = await startWithEvents(2);
    const { mcn, calltouch } = stack.sandbox;
    mcn.setDown(true);
    const calls = importable(mcn.addCalls(50, { inboundOnly: true }));
    const storm = Array.from({ length: 300 }, (_, i) =>
      fetch(`${listener}/v1/mcn/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          event_type: 'onInCallingEnd',
          call_id: `storm-${i}`,
          secret: MCN_SECRET,
        }),
      }).then((r) => r.status),
    );
    expect((await Promise.all(storm)).every((status) => status === 200)).toBe(true);
    await waitFor(() => mcn.stats().requests.unavailable >= 3, {
      message: 'reads meet the outage',
    });
    // A storm of 300 events during the outage asked for a bounded number of reads.
    expect(mcn.stats().requests.unavailable).toBeLessThan(40);
    mcn.setDown(false);
    await waitFor(() => calls.every((c) => calltouch.call(c.callid)), {
      timeoutMs: 30_000,
      message: 'every call after the outage',
    });
    expect(calltouch.stats().calls.duplicates).toBe(0);
  });
});
