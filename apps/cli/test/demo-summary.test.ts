import { describe, expect, it } from 'vitest';
import { renderSummary, type DemoSnapshot } from '../src/demo/summary.ts';

const queue = { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 };
const snapshot = (at: number, delivered: number, requests: number, parked = 0): DemoSnapshot => ({
  at,
  calls: { delivered, duplicates: 0 },
  requests: { total: requests, rateLimited: 0, maxInWindow: 5 },
  orders: { inCalltouch: 0, creates: 0, updates: 0, sentByCrm: 0, accepted: 0 },
  leads: { delivered: 0, badSignature: 0 },
  queues: {
    calls: { ...queue, failed: parked, completed: delivered },
    orders: queue,
    leads: queue,
  },
  points: requests,
  recordings: { linked: 3, played: 2, otherAnswers: { '404': 1 } },
  events: { mcn: 10, calltouch: 1, callsWithoutEvent: 1 },
  lanes: { live: 4, backlog: 900 },
  freshness: { delivered: 12, waiting: 1, medianMs: 840, maxMs: 1_460 },
});
const info = {
  urls: ['Bull Board: http://127.0.0.1:3000/'],
  workers: 2,
  faults: [],
  logFile: '/tmp/demo.log',
  ceilingCalls: 500,
  ceilingRequests: 5,
};

describe('the demo summary', () => {
  it('shows rates over the last interval against the Calltouch ceiling', () => {
    const text = renderSummary(snapshot(12_000, 2_500, 30), snapshot(10_000, 2_000, 20), info);
    expect(text).toContain(' 250 calls/s [###############...............] of 500/s');
    expect(text).toContain('Calltouch requests 30 (5.00/s of 5/s), 429s 0, busiest second 5');
    expect(text).toContain('workers: 2 processes; faults: none');
    expect(text).not.toContain('parked:');
  });

  it('shows how fresh the calls of the last minute are, and says so when none has arrived', () => {
    const text = renderSummary(snapshot(12_000, 2_500, 30), undefined, info);
    expect(text).toContain(
      'calls that ended in the last minute: 12 in Calltouch, 1 not yet; end at MCN → Calltouch: median 0.8 s, slowest 1.5 s',
    );
    const none = renderSummary(
      { ...snapshot(12_000, 0, 0), freshness: { delivered: 0, waiting: 2 } },
      undefined,
      info,
    );
    expect(none).toContain('calls that ended in the last minute: 0 in Calltouch, 2 not yet');
    expect(none).not.toContain('median');
  });

  it('explains parked items and how to replay them when there are any', () => {
    const text = renderSummary(snapshot(1_000, 10, 1, 3), undefined, info);
    expect(text).toContain('parked 3');
    expect(text).toMatch(/parked: 3 items refused with a reason/);
    expect(text).toContain('npx touchline replay');
  });
});
