import { describe, expect, it } from 'vitest';
import { McnError, isMcnError } from '../src/index.ts';
import { errorFromStatus, errorFromTransport } from '../src/to-mcn-error.ts';

const request = {
  what: 'call_log 2025-11-23..2025-11-23 offset 0',
  redact: (t: string) => t.split('s3cret').join('[REDACTED]'),
};

describe('errorFromStatus', () => {
  it.each([
    [401, 'UNAUTHORIZED', 'unauthorized'],
    [403, 'UNAUTHORIZED', 'unauthorized'],
    [400, 'CLIENT_ERROR', 'rejected'],
    [404, 'CLIENT_ERROR', 'rejected'],
    [408, 'SERVER_ERROR', 'unavailable'],
    [429, 'CLIENT_ERROR', 'rate_limited'],
    [500, 'SERVER_ERROR', 'unavailable'],
    [503, 'SERVER_ERROR', 'unavailable'],
  ] as const)('HTTP %i → %s (%s)', (status, code, kind) => {
    const err = errorFromStatus(status, {}, '', request);
    expect(err).toBeInstanceOf(McnError);
    expect(err).toMatchObject({ code, failure: { kind, status }, status });
    expect(err.message).toContain(`HTTP ${status}`);
  });

  it('carries Retry-After and a redacted body snippet', () => {
    const err = errorFromStatus(503, { 'retry-after': '7' }, 'token s3cret is\n down', request);
    expect(err.retryAfterMs).toBe(7000);
    expect(err.message).toBe(
      'MCN call_log 2025-11-23..2025-11-23 offset 0: HTTP 503 (token [REDACTED] is down)',
    );
  });
});

describe('errorFromTransport', () => {
  it('maps timeouts and network failures, keeping a sanitised cause', () => {
    const timeout = Object.assign(new Error("Timeout awaiting 'request' for 50ms"), {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
      options: { headers: { authorization: 'Bearer s3cret' } },
    });
    const t = errorFromTransport(timeout, request);
    expect(t).toMatchObject({ code: 'TIMEOUT', failure: { kind: 'timeout' } });
    expect(t.cause).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(JSON.stringify(t.cause)).not.toContain('s3cret');

    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
    });
    expect(errorFromTransport(refused, request)).toMatchObject({
      code: 'NETWORK',
      failure: { kind: 'network', sent: false },
    });
    expect(errorFromTransport('weird', request)).toMatchObject({ code: 'NETWORK' });
  });

  it('isMcnError recognises the class', () => {
    expect(
      isMcnError(
        new McnError('x', { failure: { kind: 'network', code: 'ECONNRESET', sent: true } }),
      ),
    ).toBe(true);
    expect(isMcnError(new Error('x'))).toBe(false);
  });
});
