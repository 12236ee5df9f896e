import { Worker, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { callsFlowSpec } from '@touchline/calls';
import { createFlowQueue } from '@touchline/queue';
import { testRedis, waitFor } from '@touchline/testing';

export const SECRET = 'S3CRET-apikey-value';
export const REASON = `POST /inbound-call?apikey=${SECRET} answered 400: clientPhoneNumber is invalid`;

/**
 * Seeds the calls queue under `prefix` through a real BullMQ worker: `delivered` completed
 * items and one parked (failed) item, `bad-1`, whose reason quotes a URL with an API key and
 * whose data carries a secret-named field. Returns the queue on `redis` (close it; the
 * connection stays the caller's).
 */
export async function seedCalls(redis: Redis, prefix: string, delivered = 2): Promise<Queue> {
  const queue = createFlowQueue(callsFlowSpec, redis, prefix);
  await queue.addBulk([
    ...Array.from({ length: delivered }, (_, i) => ({
      name: 'call',
      data: { referenceId: `ok-${i}`, clientPhoneNumber: '79001234567' },
      opts: { jobId: `ok-${i}` },
    })),
    {
      name: 'call',
      data: { referenceId: 'bad-1', clientPhoneNumber: '123', token: SECRET },
      opts: { jobId: 'bad-1', attempts: 1 },
    },
  ]);
  const connection = testRedis();
  const worker = new Worker(
    'calls',
    async (job) => {
      if (job.id === 'bad-1') throw new Error(REASON);
      return { logId: 42 };
    },
    { connection, prefix },
  );
  await waitFor(
    async () =>
      (await queue.getFailedCount()) === 1 && (await queue.getCompletedCount()) === delivered,
    { message: 'seeded calls settled' },
  );
  await worker.close();
  connection.disconnect();
  return queue;
}
