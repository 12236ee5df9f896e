import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig, schemas } from '@touchline/config';
import {
  addJobsAtomically,
  createFlowQueue,
  retryingJobOptions,
  toJobId,
  toNewJob,
  type FlowDefinition,
} from '@touchline/queue';
import { useTestRedis, waitFor } from '@touchline/testing';
import { workerRole } from '../src/index.ts';
import { startRole } from './run-role.ts';

/**
 * Adding a flow, as docs/architecture.md describes it: one definition — queue, schema, job id,
 * batch settings, deliver — handed to the worker role. Here a throwaway flow that posts
 * greetings in batches of 10 to a local server.
 */
const greetingSchema = z.object({ to: z.string().min(1) });
type Greeting = z.output<typeof greetingSchema>;

const db = useTestRedis('worker-flow');
const received: string[][] = [];
let serverUrl = '';
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push((JSON.parse(body) as { to: string[] }).to);
    res.writeHead(204).end();
  });
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const greetingsFlow: FlowDefinition<Greeting> = {
  name: 'greetings',
  jobName: 'greeting',
  description: 'greetings waiting to be posted; failed = parked',
  schema: greetingSchema,
  jobOptions: retryingJobOptions({
    firstDelayMs: 500,
    keepCompleted: { age: 3_600, count: 1_000 },
  }),
  jobId: (greeting) => toJobId('greeting', greeting.to),
  batch: { max: 10, maxWaitMs: 200, concurrency: 1 },
  async deliver(items, ctx) {
    await ctx.inflight.mark(items.map((i) => i.id));
    const res = await fetch(serverUrl, {
      method: 'POST',
      body: JSON.stringify({ to: items.map((i) => i.data.to) }),
    });
    return new Map(
      items.map((i) => [
        i.id,
        res.ok ? { kind: 'delivered' } : { kind: 'retry', reason: `HTTP ${res.status}` },
      ]),
    );
  },
};

describe('a flow added through its definition', () => {
  it('is claimed, batched and delivered by the worker role like the built-in flows', async () => {
    const config = parseConfig(schemas.worker, {
      REDIS_URL: db.url,
      QUEUE_PREFIX: db.prefix,
      LOG_LEVEL: 'silent',
      METRICS_PORT: '0',
      CALLTOUCH_SITE_ID: 'site',
      CALLTOUCH_API_TOKEN: 'token',
      CALLTOUCH_CALLS_MODE: 'lead-import',
    });
    const role = await startRole(workerRole({ flows: () => [greetingsFlow] }), config);
    try {
      const queue = createFlowQueue(greetingsFlow, db.redis, db.prefix);
      const names = Array.from({ length: 25 }, (_, i) => `guest:${i}`);
      await addJobsAtomically(
        queue,
        names.map((to) => toNewJob(greetingsFlow, { to })),
      );
      await waitFor(async () => (await queue.getCompletedCount()) === 25, {
        message: '25 greetings delivered',
      });
      expect(received.flat().sort()).toEqual([...names].sort());
      // Batches of at most 10, as the definition says; a backlog fills them.
      expect(received.every((batch) => batch.length <= 10)).toBe(true);
      expect(received.filter((batch) => batch.length === 10).length).toBeGreaterThanOrEqual(2);
      // Delivered items leave no in-flight mark behind.
      await waitFor(async () => (await db.redis.hlen(`${db.prefix}:greetings:inflight`)) === 0);
      await queue.close();
    } finally {
      await role.stop();
    }
  });
});
