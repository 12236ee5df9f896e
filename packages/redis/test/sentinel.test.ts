import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  memoryLogger,
  startRedisSentinel,
  startRedisServer,
  uniquePrefix,
  waitFor,
  type RedisSentinel,
  type RedisServer,
} from '@touchline/testing';
import { createRedis } from '../src/index.ts';

const NAME = 'touchline-master';

/** One entry of a SENTINEL REPLICAS answer (a flat field/value list) as a map. */
const fields = (flat: string[]) =>
  new Map(flat.flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1] ?? '']] : [])));

describe('REDIS_URL through Sentinel (redis+sentinel://)', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisSentinel;
  let admin: Redis;

  beforeAll(async () => {
    master = await startRedisServer(['--appendonly', 'yes']);
    replica = await startRedisServer([
      '--appendonly',
      'yes',
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    sentinel = await startRedisSentinel(master.port, NAME);
    admin = new Redis(sentinel.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    // Sentinel can only fail over to a replica it knows and that is in sync.
    await waitFor(
      async () => {
        const replicas = (await admin.call('SENTINEL', 'REPLICAS', NAME)) as string[][];
        return replicas
          .map(fields)
          .some(
            (r) =>
              r.get('port') === String(replica.port) &&
              r.get('master-link-status') === 'ok' &&
              !(r.get('flags') ?? '').includes('down'),
          );
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'sentinel sees the replica in sync' },
    );
  });
  afterAll(async () => {
    admin?.disconnect();
    await Promise.all([sentinel?.stop(), replica?.stop(), master?.stop()]);
  });

  it('reaches the master, and a queue keeps working across a failover with nothing lost', async () => {
    const { logger } = memoryLogger();
    const prefix = uniquePrefix('sentinel');
    const client = createRedis({ url: sentinel.url, role: 'worker', logger });
    const servingPort = async () => Number(((await client.config('GET', 'port')) as string[])[1]);
    try {
      expect(await servingPort()).toBe(master.port);
      const queue = new Queue('calls', { connection: client, prefix });
      await queue.add('call', { n: 1 }, { jobId: 'before-failover' });
      await client.wait(1, 5_000); // the replica has it before the switch

      await admin.call('SENTINEL', 'FAILOVER', NAME);
      await waitFor(async () => (await servingPort().catch(() => 0)) === replica.port, {
        timeoutMs: 30_000,
        intervalMs: 100,
        message: 'the client follows the failover to the promoted replica',
      });
      await queue.add('call', { n: 2 }, { jobId: 'after-failover' });

      // A worker connected through Sentinel now drains both jobs from the new master.
      const done: string[] = [];
      const connection = createRedis({ url: sentinel.url, role: 'worker', logger });
      const worker = new Worker('calls', async (job) => done.push(String(job.id)), {
        connection,
        prefix,
      });
      try {
        await waitFor(() => done.length === 2, { timeoutMs: 15_000, message: 'both jobs done' });
        expect(done.sort()).toEqual(['after-failover', 'before-failover']);
      } finally {
        await worker.close();
        connection.disconnect();
      }
      await queue.close();
    } finally {
      client.disconnect();
    }
  });
});
