import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, schemas, type Env } from '@touchline/config';
import { createLogger, fileDestination } from '@touchline/logger';
import { createRedis, deleteKeysUnder } from '@touchline/redis';
import { createFlowQueue } from '@touchline/queue';
import { FLOW_SPECS, allRoles } from '@touchline/roles';
import { runRoles } from '@touchline/runtime';
import { createSandbox } from '@touchline/sandbox';
import { pointEventsAt } from '../commands/sandbox.ts';
import { NoRedisError, provideRedis } from './demo-redis.ts';
import { startFakeCrm } from './fake-crm.ts';
import { renderSummary, type DemoSnapshot } from './summary.ts';

export interface DemoOptions {
  readonly backlog: number;
  readonly faults: readonly string[];
  readonly workers: number;
}

async function portOr(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() =>
          resolve(typeof address === 'object' && address ? address.port : undefined),
        );
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? 0;
}

/**
 * `touchline demo`: the sandbox, Redis (REDIS_URL if it answers, else a private one), a fake CRM
 * that posts deals and receives leads, and every role — with a live one-screen summary until
 * Ctrl-C. Role logs go to a file so that the screen stays readable.
 */
export async function runDemo(env: Env, options: DemoOptions): Promise<number> {
  let redis;
  try {
    redis = await provideRedis(env['REDIS_URL'] || 'redis://127.0.0.1:6379');
  } catch (err) {
    if (err instanceof NoRedisError) {
      process.stderr.write(`touchline demo: ${err.message}\n`);
      return 69;
    }
    throw err;
  }
  const sandbox = await createSandbox({
    calltouch: {
      // Play each recording link, as someone pressing play in Calltouch's cabinet.
      fetchRecordings: true,
      liveRequestsPerMinute: 20,
      requestsPerDay: 60,
      historyDays: 1,
      ...(options.faults.includes('slow') ? { faults: { slowShare: 0.1, slowMs: 1500 } } : {}),
    },
    mcn: { liveCallsPerMinute: 600, historyDays: 1, callsPerDay: 2000 },
  });
  if (options.backlog > 0) sandbox.mcn.addCalls(options.backlog, { inboundOnly: true });
  const prefix = `touchline-demo-${Date.now().toString(36)}`;
  const webhookSecret = randomBytes(24).toString('hex');
  const leadsSecret = randomBytes(24).toString('hex');
  const mcnEventsSecret = randomBytes(24).toString('hex');
  const calltouchEventsSecret = randomBytes(24).toString('hex');
  const recordingsKey = randomBytes(32).toString('hex');
  const ports = {
    metrics: await portOr(Number(env['METRICS_PORT'] ?? 9464)),
    board: await portOr(Number(env['BOARD_PORT'] ?? 3000)),
    crm: await portOr(Number(env['CRM_LISTENER_PORT'] ?? 8080)),
  };
  let listenerUrl = `http://127.0.0.1:${ports.crm}`;
  const crm = await startFakeCrm({
    listenerUrl: () => listenerUrl,
    webhookSecret,
    leadsSecret,
    dealsPerSecond: 5,
  });
  const roleEnv: Record<string, string> = {
    ...sandbox.env,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: env['LOG_LEVEL'] ?? 'info',
    METRICS_PORT: String(ports.metrics),
    BOARD_PORT: String(ports.board),
    BOARD_HOST: '127.0.0.1',
    CRM_LISTENER_PORT: String(ports.crm),
    CRM_WEBHOOK_SECRET: webhookSecret,
    LEADS_WEBHOOK_URL: `${crm.url}/leads`,
    LEADS_WEBHOOK_SECRET: leadsSecret,
    LEADS_POLL_INTERVAL_SECONDS: '10',
    MCN_POLL_INTERVAL_SECONDS: '5',
    // Push triggers a pull: the sandbox's MCN and Calltouch send their webhooks to the listener.
    MCN_WEBHOOK_SECRET: mcnEventsSecret,
    CALLTOUCH_WEBHOOK_SECRET: calltouchEventsSecret,
    LEADS_EVENTS_MIN_GAP_SECONDS: '2',
    // Recordings: answered calls carry a signed link to the listener, which streams MCN's audio.
    RECORDINGS_PUBLIC_URL: `http://127.0.0.1:${ports.crm}`,
    RECORDINGS_SIGNING_KEY: recordingsKey,
  };
  const config = parseConfig(schemas.all, roleEnv);
  const logFile = join(tmpdir(), `${prefix}.log`);
  const logger = createLogger({
    level: config.LOG_LEVEL,
    name: 'all',
    destination: fileDestination(logFile),
    secrets: [webhookSecret, leadsSecret, mcnEventsSecret, calltouchEventsSecret, recordingsKey],
  });
  const all = await runRoles({
    name: 'all',
    roles: allRoles(),
    config,
    handleSignals: false,
    logger,
  });
  listenerUrl = `http://127.0.0.1:${all.port('crm-listener') ?? ports.crm}`;
  pointEventsAt(sandbox, listenerUrl, { mcn: mcnEventsSecret, calltouch: calltouchEventsSecret });

  // More worker processes, as a deployment scales them: they share the limiter through Redis.
  const extra: ChildProcess[] = [];
  process.once('exit', () => {
    for (const child of extra) if (child.exitCode === null) child.kill('SIGKILL');
  });
  const logFd = openSync(logFile, 'a');
  for (let i = 1; i < options.workers; i++) {
    extra.push(
      spawn(process.execPath, [process.argv[1] ?? 'touchline', 'worker'], {
        env: { ...process.env, ...roleEnv, METRICS_PORT: String(await portOr(0)) },
        stdio: ['ignore', logFd, logFd],
        // Its own process group: a terminal's Ctrl-C reaches the demo alone, which then stops
        // each worker once with SIGTERM (a second signal would force a worker to exit).
        detached: true,
      }),
    );
  }

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, fn: () => void) => timers.push(setInterval(fn, ms));
  if (options.faults.includes('5xx')) sandbox.calltouch.setFaults({ errorShare: 0.05 });
  if (options.faults.includes('429'))
    every(20_000, () => sandbox.calltouch.setFaults({ stormMs: 1_500 }));
  if (options.faults.includes('mcn-outage')) {
    every(45_000, () => {
      sandbox.mcn.setDown(true);
      setTimeout(() => sandbox.mcn.setDown(false), 10_000).unref();
    });
  }

  const statsRedis = createRedis({
    url: redis.url,
    role: 'worker',
    logger,
    name: 'touchline-demo',
  });
  const queues = FLOW_SPECS.map((flow) => createFlowQueue(flow, statsRedis, prefix));
  // Freshness as a marketer sees it: for the importable calls that ended in the last minute,
  // from the instant each ended at MCN to its arrival in Calltouch (both clocks are the
  // sandbox's).
  const freshness = (nowMs: number): DemoSnapshot['freshness'] => {
    const delays: number[] = [];
    let waiting = 0;
    for (const end of sandbox.mcn.liveEnds(nowMs - 60_000)) {
      if (!end.importable) continue;
      const received = sandbox.calltouch.call(end.callid);
      if (received) delays.push(Date.parse(received.firstReceivedAt) - end.endMs);
      else waiting += 1;
    }
    delays.sort((a, b) => a - b);
    const median = delays[Math.floor((delays.length - 1) / 2)];
    const max = delays.at(-1);
    return median === undefined || max === undefined
      ? { delivered: 0, waiting }
      : { delivered: delays.length, waiting, medianMs: median, maxMs: max };
  };
  const snapshot = async (): Promise<DemoSnapshot> => {
    const stats = sandbox.calltouch.stats();
    const counts = await Promise.all(
      queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')),
    );
    const callsQueue = queues.find((q) => q.name === 'calls');
    const lanes = callsQueue
      ? [await callsQueue.getWaitingCount(), await callsQueue.getPrioritizedCount()]
      : [];
    return {
      at: Date.now(),
      calls: { delivered: stats.calls.unique, duplicates: stats.calls.duplicates },
      requests: {
        total: stats.requests.total,
        rateLimited: stats.requests.rateLimited,
        maxInWindow: stats.maxRequestsInAnyWindow,
      },
      orders: {
        inCalltouch: stats.orders.count,
        creates: stats.orders.creates,
        updates: stats.orders.updates,
        sentByCrm: crm.deals.sent,
        accepted: crm.deals.accepted,
      },
      leads: { delivered: crm.leads.received, badSignature: crm.leads.badSignature },
      queues: Object.fromEntries(
        queues.map((q, i) => [q.name, counts[i] as DemoSnapshot['queues'][string]]),
      ),
      points: stats.points.total,
      recordings: {
        linked: stats.recordings.linked,
        played: stats.recordings.player.byStatus['200'] ?? 0,
        otherAnswers: Object.fromEntries(
          Object.entries(stats.recordings.player.byStatus).filter(
            ([status]) => status !== '200' && status !== '206',
          ),
        ),
      },
      events: {
        mcn: sandbox.mcn.stats().events.sent,
        calltouch: sandbox.calltouch.leadEvents().sent,
        callsWithoutEvent: sandbox.mcn.stats().events.withoutEvent,
      },
      lanes: { live: lanes[0] ?? 0, backlog: lanes[1] ?? 0 },
      freshness: freshness(Date.now()),
    };
  };
  const info = {
    urls: [
      `Bull Board:      http://127.0.0.1:${ports.board}/`,
      `Metrics:         http://127.0.0.1:${all.port('ops-server') ?? ports.metrics}/metrics`,
      `CRM webhook:     POST ${listenerUrl}/v1/orders, Authorization: Bearer ${webhookSecret} (this demo's throwaway secret)`,
      `Sandbox admin:   ${sandbox.calltouch.adminUrl}/stats   MCN: ${sandbox.mcn.url.replace(/\/v2\/rest$/, '')}/__sandbox/stats`,
      `Redis:           ${redis.url}${redis.private ? ' (private, stopped on exit)' : ''}, prefix ${prefix}`,
    ],
    workers: options.workers,
    faults: [...options.faults],
    logFile,
    ceilingCalls: 500,
    ceilingRequests: 5,
  };
  const tty = process.stdout.isTTY === true;
  // Rates are averaged over the last ten seconds: the poller and the batches move in steps.
  const history: DemoSnapshot[] = [];
  let last = 0;
  const draw = async () => {
    const now = await snapshot().catch(() => undefined);
    if (!now) return;
    history.push(now);
    while (history.length > 11) history.shift();
    const before = history.length > 1 ? history[0] : undefined;
    if (tty) process.stdout.write(`\x1b[H\x1b[2J${renderSummary(now, before, info)}\n`);
    else if (now.at - last >= 5_000) {
      process.stdout.write(`${renderSummary(now, before, info)}\n\n`);
      last = now.at;
    }
  };
  await draw();
  every(1_000, () => void draw());

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  process.once('SIGINT', () => process.exit(130)); // a second Ctrl-C forces exit
  for (const timer of timers) clearInterval(timer);
  process.stdout.write('\nstopping…\n');
  await crm.close();
  await Promise.all(
    extra.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await all.stop('demo stopped');
  await Promise.all(queues.map((q) => q.close()));
  // A shared Redis gets back to how it was: this run's keys (its own prefix) go with it.
  const removed = redis.private ? 0 : await deleteKeysUnder(statsRedis, prefix).catch(() => 0);
  await statsRedis.quit().catch(() => statsRedis.disconnect());
  await sandbox.close();
  await redis.stop();
  if (removed > 0)
    process.stdout.write(`removed this demo's ${removed} keys (${prefix}:*) from ${redis.url}\n`);
  process.stdout.write(`stopped. Role logs: ${logFile}\n`);
  return 0;
}
