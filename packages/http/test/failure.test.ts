import { describe, expect, it } from 'vitest';
import {
  classifyStatus,
  classifyTransport,
  describeFailure,
  isAnswered,
  isRetryable,
  mayHaveBeenProcessed,
} from '../src/index.ts';

describe('classifyStatus', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');

  it('is undefined for every 2xx', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(classifyStatus(status)).toBeUndefined();
  });

  it('reads 429 as rate limited, with the wait when the server names one', () => {
    expect(classifyStatus(429, '2', now)).toEqual({
      kind: 'rate_limited',
      status: 429,
      retryAfterMs: 2000,
    });
    expect(classifyStatus(429, undefined, now)).toEqual({ kind: 'rate_limited', status: 429 });
  });

  it('separates refused credentials from refused content', () => {
    expect(classifyStatus(401)?.kind).toBe('unauthorized');
    expect(classifyStatus(403)?.kind).toBe('unauthorized');
    for (const status of [400, 404, 409, 413, 422, 499])
      expect(classifyStatus(status)).toEqual({ kind: 'rejected', status });
  });

  it('reads 5xx, 408, 425 and unexpected statuses as "not now"', () => {
    for (const status of [500, 502, 503, 504, 408, 425, 301, 302, 100, 600])
      expect(classifyStatus(status)?.kind).toBe('unavailable');
    expect(classifyStatus(503, '5', now)).toEqual({
      kind: 'unavailable',
      status: 503,
      retryAfterMs: 5000,
    });
  });
});

describe('classifyTransport', () => {
  const withCode = (code: string, name = 'RequestError') =>
    Object.assign(new Error(`failed: ${code}`), { code, name });

  it('reads timeouts by code or by got’s error name', () => {
    expect(classifyTransport(withCode('ETIMEDOUT', 'TimeoutError'))).toEqual({
      kind: 'timeout',
      code: 'ETIMEDOUT',
    });
    expect(classifyTransport(withCode('ESOCKETTIMEDOUT'))).toEqual({
      kind: 'timeout',
      code: 'ESOCKETTIMEDOUT',
    });
  });

  it('knows which connection errors prove the request never left', () => {
    for (const code of [
      'ECONNREFUSED',
      'ERR_SOCKET_CLOSED_BEFORE_CONNECTION',
      'ENOTFOUND',
      'EAI_AGAIN',
      'ENETUNREACH',
      'EHOSTUNREACH',
    ])
      expect(classifyTransport(withCode(code))).toEqual({ kind: 'network', code, sent: false });
    for (const code of ['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'])
      expect(classifyTransport(withCode(code))).toEqual({ kind: 'network', code, sent: true });
  });

  it('treats anything else as a network error that may have been sent', () => {
    expect(classifyTransport(new Error('boom'))).toEqual({
      kind: 'network',
      code: 'Error',
      sent: true,
    });
    expect(classifyTransport('weird')).toEqual({ kind: 'network', code: 'ERROR', sent: true });
  });
});

describe('what a failure means', () => {
  it('answers whether the outcome is known, whether it may have been processed, and whether to retry', () => {
    const rejected = classifyStatus(400)!;
    const busy = classifyStatus(503)!;
    const limited = classifyStatus(429)!;
    const timeout = classifyTransport(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }));
    const refused = classifyTransport(Object.assign(new Error('r'), { code: 'ECONNREFUSED' }));
    const reset = classifyTransport(Object.assign(new Error('r'), { code: 'ECONNRESET' }));
    expect([rejected, busy, limited, timeout, refused, reset].map(isAnswered)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect([rejected, busy, limited, timeout, refused, reset].map(mayHaveBeenProcessed)).toEqual([
      false,
      false,
      false,
      true,
      false,
      true,
    ]);
    expect([rejected, busy, limited, timeout, refused, reset].map(isRetryable)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(describeFailure(busy)).toBe('HTTP 503');
    expect(describeFailure(timeout)).toBe('timed out (ETIMEDOUT)');
    expect(describeFailure(refused)).toBe('network error (ECONNREFUSED)');
  });
});
