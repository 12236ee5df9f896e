import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { callsFlowSpec, pollerKeys } from '@touchline/calls';
import { leadsFlowSpec } from '@touchline/leads';
import { orderKey, orderLockKey, ordersFlowSpec } from '@touchline/orders';

/**
 * Every outside identifier becomes a key or a job id through one injective encoding
 * (packages/queue/src/identifiers.ts): distinct identifiers never share one, for every flow.
 */
const id = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 });
const runs = { numRuns: 1_000 };

describe('identifiers, for every flow', () => {
  it('calls: distinct callids, distinct job ids, none with a colon', () => {
    const jobId = (callid: string) => callsFlowSpec.jobId({ mcn: { callid } });
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(jobId(a)).not.toContain(':');
        if (a !== b) expect(jobId(a)).not.toBe(jobId(b));
      }),
      runs,
    );
  });

  it('leads: distinct request ids, distinct job ids', () => {
    const jobId = (requestId: string) => leadsFlowSpec.jobId({ record: { requestId } });
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(jobId(a)).not.toContain(':');
        if (a.trim() !== b.trim()) expect(jobId(a)).not.toBe(jobId(b));
      }),
      runs,
    );
  });

  it('orders: distinct (order number, state), distinct job ids; no order key is another order’s lock', () => {
    const jobId = (orderNumber: string, seq: number) => ordersFlowSpec.jobId({ orderNumber, seq });
    fc.assert(
      fc.property(id, fc.integer({ min: 1 }), id, fc.integer({ min: 1 }), (a, m, b, n) => {
        expect(jobId(a, m)).not.toContain(':');
        if (a !== b || m !== n) expect(jobId(a, m)).not.toBe(jobId(b, n));
        const keys = [orderKey('p', a), orderLockKey('p', a)];
        if (a !== b) {
          for (const key of [orderKey('p', b), orderLockKey('p', b)])
            expect(keys).not.toContain(key);
        }
        expect(orderKey('p', a)).not.toBe(orderLockKey('p', b));
      }),
      runs,
    );
  });

  it('the poller keys days (dates it makes itself), and every key stays under the prefix', () => {
    const keys = pollerKeys('{touchline}');
    for (const key of [keys.seen('2026-11-29'), keys.day('2026-11-29'), keys.checkpoint])
      expect(key.startsWith('{touchline}:')).toBe(true);
  });
});
