import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseRedisUrl, schemas } from '../src/index.ts';

describe('parseRedisUrl', () => {
  it('passes a plain redis:// or rediss:// URL through', () => {
    expect(parseRedisUrl('redis://:pw@10.0.0.5:6380/2')).toEqual({
      kind: 'direct',
      url: 'redis://:pw@10.0.0.5:6380/2',
    });
    expect(parseRedisUrl('rediss://cache.internal:6380')).toMatchObject({ kind: 'direct' });
  });

  it('reads a Sentinel URL: every Sentinel, the master name, auth and database', () => {
    expect(
      parseRedisUrl(
        'redis+sentinel://app:p%40ss@s1.internal:26379,s2.internal,[::1]:26380/touchline-master/3?sentinelPassword=sp',
      ),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1.internal', port: 26379 },
        { host: 's2.internal', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'touchline-master',
      username: 'app',
      password: 'p@ss',
      db: 3,
      sentinelPassword: 'sp',
    });
    expect(parseRedisUrl('redis+sentinel://127.0.0.1:26379/mymaster')).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: '127.0.0.1', port: 26379 }],
      name: 'mymaster',
    });
  });

  it.each([
    [
      'http://127.0.0.1:6379',
      /expected redis:\/\/, rediss:\/\/ or redis\+sentinel:\/\/, not http:/,
    ],
    ['redis+sentinel://s1:26379', /<master name>/],
    ['redis+sentinel://s1:port/mymaster', /host or host:port, not "s1:port"/],
    ['redis+sentinel://s1/mymaster/zero', /database must be a number/],
    ['redis+sentinel://s1/mymaster?sentinelPasswd=x', /unknown option "sentinelPasswd"/],
  ])('refuses %s with a message that says why', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('a bad REDIS_URL stops start-up without showing its password', () => {
    let error: unknown;
    try {
      parseConfig(schemas.base, {
        REDIS_URL:
          'redis+sentinel://:a-very-long-password-that-runs-past-sixty-characters@s1:26379',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('REDIS_URL: expected redis+sentinel://');
    expect(message).toContain('[REDACTED]');
    expect(message).not.toContain('a-very-long');
  });
});
