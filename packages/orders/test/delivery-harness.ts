import { Redis } from 'ioredis';
import { createCalltouchStack, type CalltouchStack } from '@touchline/calltouch-delivery';
import { createRegistry, type Registry } from '@touchline/metrics';
import { createBatchConsumer, createFlowQueue, type BatchConsumer } from '@touchline/queue';
import {
  createCalltouchStandIn,
  type CalltouchStandIn,
  type CalltouchStandInOptions,
} from '@touchline/sandbox';
import { TEST_REDIS_URL, memoryLogger, type TestRedis } from '@touchline/testing';
import {
  createOrderIntake,
  createOrdersFlow,
  ordersFlowSpec,
  parseDealsBody,
  type OrderIntake,
  type OrdersFlowOptions,
} from '../src/index.ts';

/**
 * Listener-side intake, the Calltouch stand-in and `workers` batch consumers on a fresh prefix
 * of `db` (the test file's `useTestRedis`, which deletes its keys after the file). `flow`
 * overrides options of every worker's orders flow; `restart()` closes the consumers and starts
 * new ones (new connections, a new metrics registry), as a worker restart would. The producer
 * and the workers keep connections of their own: the producer's is a listener's (one retry per
 * command), and a restart must open new ones.
 */
export async function startFlow(options: {
  db: TestRedis;
  workers: number;
  errorShare: number;
  flow?: Partial<OrdersFlowOptions>;
  sandbox?: CalltouchStandInOptions;
}) {
  const prefix = options.db.newPrefix();
  const sandbox: CalltouchStandIn = await createCalltouchStandIn({
    rateLimit: 60,
    latencyMs: { min: 1, max: 8 },
    historyDays: 0,
    faults: { errorShare: options.errorShare },
    ...options.sandbox,
  });
  const producer = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const queue = createFlowQueue(ordersFlowSpec, producer, prefix);
  const intake: OrderIntake = createOrderIntake({
    redis: producer,
    queue,
    prefix,
    timeZone: 'Europe/Moscow',
  });
  let registry: Registry = createRegistry();
  let connections: Redis[] = [];
  let consumers: BatchConsumer[] = [];
  let stacks: CalltouchStack[] = [];
  const { logger, lines } = memoryLogger('info');
  const build = () => {
    for (let w = 0; w < options.workers; w++) buildWorker();
  };
  const buildWorker = () => {
    const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    connections.push(connection);
    const stack = createCalltouchStack(
      {
        prefix,
        client: {
          apiUrl: sandbox.url,
          atsUrl: sandbox.url,
          siteId: sandbox.credentials.siteId,
          apiToken: sandbox.credentials.apiToken,
          callsMode: 'lead-import',
          timeoutMs: 5_000,
        },
        limiter: { egressId: 'test', limit: 50, marginMs: 25 },
      },
      connection,
      registry,
      logger,
    );
    stacks.push(stack);
    const flow = createOrdersFlow({
      redis: connection,
      prefix,
      calltouch: stack,
      logger,
      registry,
      timeZone: 'Europe/Moscow',
      maxWaitMs: 50,
      concurrency: 2,
      ...options.flow,
    });
    consumers.push(createBatchConsumer({ flow, connection, prefix, logger }));
  };
  build();
  const stopWorkers = async () => {
    await Promise.all(consumers.map((c) => c.close()));
    await Promise.all(stacks.map((s) => s.close()));
    for (const c of connections) c.disconnect();
  };
  const send = async (body: unknown) => {
    const parsed = parseDealsBody(body);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    await intake.accept(parsed.deals);
  };
  return {
    prefix,
    sandbox,
    queue,
    /** The producer's connection, for tests that look at or plant keys. */
    redis: producer,
    get registry() {
      return registry;
    },
    lines,
    send,
    start: () => Promise.all(consumers.map((c) => c.start())),
    async restart() {
      await stopWorkers();
      registry = createRegistry();
      connections = [];
      consumers = [];
      stacks = [];
      build();
      await Promise.all(consumers.map((c) => c.start()));
    },
    /** A metric's value with these labels (0 when absent). */
    async metric(name: string, labels: Record<string, string>) {
      const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
      return values
        .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
        .reduce((sum, v) => sum + v.value, 0);
    },
    pending: async () => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async close() {
      await stopWorkers();
      await queue.close();
      producer.disconnect();
      await sandbox.close();
    },
  };
}
export type Flow = Awaited<ReturnType<typeof startFlow>>;
