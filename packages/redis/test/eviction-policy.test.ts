import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger, startRedisServer, waitFor, type RedisServer } from '@touchline/testing';
import { checkEvictionPolicy, createRedis, isRedisReady } from '../src/index.ts';

describe('checkEvictionPolicy against a real redis-server', () => {
  let lru: RedisServer;
  let safe: RedisServer;
  beforeAll(async () => {
    [lru, safe] = await Promise.all([
      startRedisServer(['--maxmemory-policy', 'allkeys-lru']),
      startRedisServer(['--maxmemory-policy', 'noeviction']),
    ]);
  });
  afterAll(async () => {
    await Promise.all([lru.stop(), safe.stop()]);
  });

  it('warns loudly on allkeys-lru', async () => {
    const { logger, lines } = memoryLogger();
    const client = createRedis({ url: lru.url, role: 'worker', logger });
    try {
      const check = await checkEvictionPolicy(client, logger);
      expect(check).toMatchObject({ ok: false, policy: 'allkeys-lru' });
      const warning = lines().find((l) => String(l['msg']).includes('noeviction'));
      expect(warning).toMatchObject({ level: 'error', maxmemoryPolicy: 'allkeys-lru' });
      expect(String(warning?.['msg'])).toMatch(/^WARNING: .*allkeys-lru/);
    } finally {
      client.disconnect();
    }
  });

  it('stays quiet on noeviction (one line at debug level says it checked)', async () => {
    const { logger, lines } = memoryLogger();
    const client = createRedis({ url: safe.url, role: 'worker', logger });
    try {
      expect(await checkEvictionPolicy(client, logger)).toEqual({ ok: true, policy: 'noeviction' });
      expect(lines()).toEqual([
        expect.objectContaining({ level: 'debug', maxmemoryPolicy: 'noeviction' }),
      ]);
    } finally {
      client.disconnect();
    }
  });

  it('keeps reconnecting while Redis is down and recovers when it is back', async () => {
    const server = await startRedisServer();
    const { logger, lines } = memoryLogger();
    const client = createRedis({ url: server.url, role: 'worker', logger });
    try {
      await waitFor(() => isRedisReady(client), { message: 'first connection' });
      await server.kill();
      await waitFor(() => lines().some((l) => l['msg'] === 'redis unreachable, reconnecting'));
      expect(await isRedisReady(client, 200)).toBe(false);
      await server.restart();
      await waitFor(() => isRedisReady(client), { message: 'reconnection' });
      expect(lines().some((l) => l['msg'] === 'redis reachable again')).toBe(true);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
