import { describe, expect, it } from 'vitest';
import { leadsFlowSpec, toDeliveryVerdict, toTransportFailure } from '../src/index.ts';

describe('toDeliveryVerdict', () => {
  it('delivers on any 2xx', () => {
    for (const status of [200, 201, 202, 204])
      expect(toDeliveryVerdict(status, '')).toEqual({ kind: 'delivered' });
  });
  it('retries 5xx, the "later" 4xx, refused credentials and redirects', () => {
    for (const status of [500, 502, 503, 504, 408, 425, 429, 401, 403, 301, 302])
      expect(toDeliveryVerdict(status, 'busy').kind).toBe('retry');
  });
  it('parks other 4xx with the status and the answer', () => {
    expect(toDeliveryVerdict(422, '{"error":"phone missing"}')).toEqual({
      kind: 'park',
      reason: 'receiver answered HTTP 422: {"error":"phone missing"}',
    });
    expect(toDeliveryVerdict(404, '')).toEqual({
      kind: 'park',
      reason: 'receiver answered HTTP 404',
    });
  });
  it('truncates a long answer', () => {
    const verdict = toDeliveryVerdict(400, 'x'.repeat(2_000));
    expect(verdict.kind).toBe('park');
    expect(verdict.kind === 'park' && verdict.reason.length).toBeLessThan(560);
    expect(verdict.kind === 'park' && verdict.reason).toContain('[1500 more]');
  });
});

describe('toTransportFailure', () => {
  it('a refused connection never reached the receiver', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(toTransportFailure(err).maybeDelivered).toBe(false);
  });
  it('a timeout or reset may have been processed', () => {
    for (const code of ['ETIMEDOUT', 'ECONNRESET', undefined]) {
      const err = Object.assign(new Error('boom'), { code });
      expect(toTransportFailure(err).maybeDelivered).toBe(true);
    }
  });
});

describe('lead job ids', () => {
  it('are lead-<requestId>, safe for BullMQ and distinct for distinct ids', () => {
    const id = (requestId: string | number) => leadsFlowSpec.jobId({ record: { requestId } });
    expect(id(145507)).toBe('lead-145507');
    expect(id(' 145507 ')).toBe('lead-145507');
    expect(id('a:b')).toBe('lead-a%3Ab');
    expect(id('a_b')).not.toBe(id('a:b'));
  });
});
