/**
 * CRM listener benchmark (target: ≥ 2,000 accepted deals/s, p99 < 50 ms on a 2-core machine).
 *
 *   npx tsx apps/bench/listener.ts [--duration 10] [--connections 32]
 *
 * Starts the real listener (`crmListenerRole`) against REDIS_URL with a unique queue prefix,
 * and beside it, in the same process, a bare Fastify route answering 202. Load comes from a
 * second process (this file re-run with `--load`, driving autocannon), so the load generator
 * does not share the listener's event loop. Each single-deal request carries a distinct
 * orderNumber (autocannon `setupRequest`), so every request is a real merge and a real job.
 * At the end the jobs in Redis are counted against the 202s, then the prefix is deleted.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { parseConfig, schemas } from '@touchline/config';
import { crmListenerRole } from '@touchline/roles';
import { runRoles } from '@touchline/runtime';
import { createLogger } from '@touchline/logger';
import { deleteKeys } from '@touchline/testing';

/** The part of autocannon's programmatic API used here (the package ships no types). */
interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  setupRequest?: (request: AutocannonRequest) => AutocannonRequest;
}
interface AutocannonResult {
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  requests: { average: number };
  latency: { p50: number; p99: number };
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface LoadSpec {
  readonly url: string;
  readonly secret: string;
  readonly dealsPerBody: number;
  readonly duration: number;
  readonly connections: number;
  readonly runId: string;
}

interface LoadResult {
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly durationSeconds: number;
}

const deal = (orderNumber: string) => ({
  orderNumber,
  status: 'Новая',
  orderDate: '2024-07-19T16:42:32+03:00',
  revenue: '1000.00',
  phones: ['+7 (915) 777-11-22'],
  emails: ['client@example.com'],
  tags: ['сайт'],
  manager: 'Иванов',
});

/** Child side: autocannon against one URL; prints the summary as JSON on stdout. */
async function load(spec: LoadSpec): Promise<void> {
  let n = 0;
  const body = () => {
    if (spec.dealsPerBody === 1) return JSON.stringify(deal(`${spec.runId}-${n++}`));
    const orders = Array.from({ length: spec.dealsPerBody }, () => deal(`${spec.runId}-${n++}`));
    return JSON.stringify({ orders });
  };
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.duration,
    requests: [
      {
        method: 'POST',
        path: '/v1/orders',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${spec.secret}` },
        setupRequest: (request) => ({ ...request, body: body() }),
      },
    ],
  });
  const out: LoadResult = {
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    durationSeconds: result.duration,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Parent side: runs the load in a second process and reads its summary. */
function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--load', JSON.stringify(spec)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`load process exited with ${code}`));
      resolve(JSON.parse(line) as LoadResult);
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      load: { type: 'string' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '32' },
      'batch-connections': { type: 'string', default: '8' },
    },
  });
  if (values.load) return load(JSON.parse(values.load) as LoadSpec);

  const duration = Number(values.duration);
  const connections = Number(values.connections);
  const batchConnections = Number(values['batch-connections']);
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = `tlbench-${randomUUID().slice(0, 8)}`;
  const secret = randomUUID() + randomUUID();
  const config = parseConfig(schemas.crmListener, {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    CRM_LISTENER_PORT: '0',
    METRICS_PORT: '0',
    CRM_WEBHOOK_SECRET: secret,
  });
  // Info level, as in production: the listener logs events, never one line per request.
  const logger = createLogger({ level: 'info', name: 'crm-listener', destination: process.stderr });
  const listener = await runRoles({
    name: 'crm-listener',
    roles: [crmListenerRole({ host: '127.0.0.1' })],
    config,
    logger,
    metricsHost: '127.0.0.1',
    handleSignals: false,
  });
  const bare = Fastify({ logger: false });
  bare.post('/v1/orders', async (_req, reply) => reply.code(202).send({ accepted: 1 }));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const barePort = (bare.server.address() as { port: number }).port;
  const listenerUrl = `http://127.0.0.1:${listener.port('crm-listener') ?? 0}`;
  for (let i = 0; i < 50; i++) {
    if ((await fetch(`${listenerUrl}/readyz`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const spec = (
    url: string,
    dealsPerBody: number,
    runId: string,
    seconds = duration,
  ): LoadSpec => ({
    url,
    secret,
    dealsPerBody,
    duration: seconds,
    connections: dealsPerBody === 1 ? connections : batchConnections,
    runId,
  });
  const runs: { name: string; dealsPerBody: number; result: LoadResult }[] = [];
  try {
    const warmup = await runLoad(spec(listenerUrl, 1, 'warmup', 3));
    runs.push({
      name: 'bare fastify 202',
      dealsPerBody: 1,
      result: await runLoad(spec(`http://127.0.0.1:${barePort}`, 1, 'bare')),
    });
    runs.push({
      name: 'listener, 1 deal/request',
      dealsPerBody: 1,
      result: await runLoad(spec(listenerUrl, 1, 'single')),
    });
    runs.push({
      name: 'listener, 100 deals/request',
      dealsPerBody: 100,
      result: await runLoad(spec(listenerUrl, 100, 'batch')),
    });

    const redis = new Redis(redisUrl);
    const waiting = await redis.llen(`${prefix}:orders:wait`);
    redis.disconnect();
    const bareRps = runs[0]!.result.requestsPerSecond;
    const table = runs.map(({ name, dealsPerBody, result: r }) => ({
      run: name,
      'requests/s': Math.round(r.requestsPerSecond),
      'accepted deals/s': name.startsWith('bare')
        ? '—'
        : Math.round((r.ok * dealsPerBody) / r.durationSeconds),
      'p50 ms': r.p50,
      'p99 ms': r.p99,
      'non-2xx': r.non2xx,
      errors: r.errors + r.timeouts,
      'vs bare': `${((r.requestsPerSecond / bareRps) * 100).toFixed(0)}%`,
    }));
    console.table(table);
    // Every 202 must be a job in Redis (the warm-up's included).
    const accepted = runs
      .slice(1)
      .reduce((sum, { dealsPerBody, result }) => sum + result.ok * dealsPerBody, warmup.ok);
    console.log(
      JSON.stringify({
        machine: { nproc: cpus().length, node: process.version },
        connections: { single: connections, batch: batchConnections },
        durationSeconds: duration,
        runs: table,
        acceptedDeals: accepted,
        jobsInRedis: waiting,
      }),
    );
    // Requests still in flight when autocannon stops are served but not counted by it: at most
    // one body per connection per run.
    const inFlight = 2 * connections + batchConnections * 100 + connections;
    if (waiting < accepted || waiting > accepted + inFlight) {
      console.error(`MISMATCH: ${accepted} deals accepted but ${waiting} jobs in Redis`);
      process.exitCode = 1;
    }
  } finally {
    await bare.close();
    await listener.stop();
    await deleteKeys(redisUrl, prefix);
  }
}

await main();
