/**
 * `npm run bench -- freshness`: how soon the newest call (and the newest lead) is where the
 * marketers look, against the sandbox with its realistic latency and the roles as processes:
 * - `idle`: events on, nothing else to do: 20 calls, each from its end at MCN to Calltouch;
 * - `backfill`: events on while a backfill of `--backlog` calls drains: the same, the drain
 *   rate against the 500 calls/s ceiling, and every backfilled call exactly once;
 * - `poll`: events off, the same backfill: the poll alone (every `--poll` seconds);
 * - `day`: `--day-calls` calls over `--day-minutes`, 90% of them with an event: MCN requests per
 *   minute, and no call missed (those without an event included);
 * - `leads`: a new request in Calltouch to its delivery at the CRM's webhook.
 * Flags: --scenarios=idle,backfill,poll,day,leads --backlog=40000 --calls=20 --poll=5
 *        --day-calls=20000 --day-minutes=10 --workers=1
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import type { McnCall } from '@touchline/mcn';
import { createSandbox, type Sandbox } from '@touchline/sandbox';
import {
  CLI,
  ROOT,
  deleteKeys,
  freePort,
  sleep,
  startRole,
  stop,
  waitFor,
} from '@touchline/testing';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ZONE = 'Europe/Moscow';
const MCN_SECRET = 'bench-mcn-events-secret-0001';
const CALLTOUCH_SECRET = 'bench-calltouch-events-secret-01';
const LEADS_SECRET = 'bench-leads-secret-0001';
const CEILING = 500;

const percentile = (xs: readonly number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const sec = (ms: number) => (ms / 1000).toFixed(2);
const describe = (xs: readonly number[]) =>
  `p50 ${sec(percentile(xs, 50))} s, p90 ${sec(percentile(xs, 90))} s, max ${sec(Math.max(...xs))} s (n=${xs.length})`;
const onlyErrors = (line: string) => {
  if (/"level":"(error|fatal)"/.test(line)) process.stderr.write(`${line}\n`);
};

interface Deployment {
  readonly sandbox: Sandbox;
  readonly listener: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** The sandbox in this process, Redis at REDIS_URL, the roles as processes. */
async function deploy(options: {
  readonly events: boolean;
  readonly pollSeconds: number;
  readonly workers: number;
  readonly roles?: readonly string[];
  readonly extraEnv?: Record<string, string>;
}): Promise<Deployment> {
  const sandbox = await createSandbox({
    calltouch: { latencyMs: { min: 20, max: 80 }, historyDays: 0, requestsPerDay: 0 },
    mcn: { historyDays: 0, callsPerDay: 0, liveCallsPerMinute: 0, malformedShare: 0 },
  });
  const prefix = `tlbench-fresh-${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const env: Record<string, string> = {
    ...sandbox.env,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    CRM_LISTENER_PORT: String(port),
    CRM_WEBHOOK_SECRET: 'bench-crm-secret-0123456789',
    MCN_POLL_INTERVAL_SECONDS: String(options.pollSeconds),
    ...(options.events
      ? { MCN_WEBHOOK_SECRET: MCN_SECRET, CALLTOUCH_WEBHOOK_SECRET: CALLTOUCH_SECRET }
      : {}),
    ...options.extraEnv,
  };
  const children: ChildProcess[] = [];
  for (const role of options.roles ?? ['mcn-poller', 'crm-listener'])
    children.push(startRole(role, { ...env, METRICS_PORT: String(await freePort()) }, onlyErrors));
  for (let w = 0; w < options.workers; w++)
    children.push(
      startRole('worker', { ...env, METRICS_PORT: String(await freePort()) }, onlyErrors),
    );
  const listener = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${listener}/readyz`).catch(() => undefined))?.ok, {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: 'the listener ready',
  });
  if (options.events) {
    // Every live call sends its event here: the calls that send none (an IVR, a queue) are
    // the poll's, measured by the `poll` and `day` scenarios.
    sandbox.mcn.setEvents({
      url: `${listener}/v1/mcn/events`,
      secret: MCN_SECRET,
      share: 1,
      lateLogShare: 0,
    });
    sandbox.calltouch.setLeadEvents({
      url: `${listener}/v1/calltouch/events?secret=${CALLTOUCH_SECRET}`,
    });
  }
  // The poller's first read of the (empty) day, so the measures start from a running pipeline.
  await sleep(2_000);
  return {
    sandbox,
    listener,
    env,
    async close() {
      await Promise.all(children.map((c) => stop(c)));
      await sandbox.close();
      await deleteKeys(REDIS_URL, prefix);
    },
  };
}

/** `count` live calls, one every 1–2 s: each from its end at MCN to its arrival at Calltouch. */
async function liveCalls(d: Deployment, count: number): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    const endedAt = Date.now();
    const [call] = d.sandbox.mcn.addCalls(1, { inboundOnly: true }) as [McnCall];
    const got = await waitFor(() => d.sandbox.calltouch.call(call.callid), {
      timeoutMs: 300_000,
      intervalMs: 10,
      message: `live call ${call.callid} at Calltouch`,
    });
    delays.push(Date.parse(got.firstReceivedAt) - endedAt);
    await sleep(1_000 + Math.random() * 1_000);
  }
  return delays;
}

/**
 * `touchline backfill` of `size` calls on three days before yesterday, run as an operator runs
 * it; resolves once they are enqueued. Returns their ids and when the backfill began.
 */
async function backfill(d: Deployment, size: number) {
  const first = DateTime.now().setZone(ZONE).minus({ days: 5 }).startOf('day');
  const hours = 3 * 24;
  const ids: string[] = [];
  for (let h = 0; h < hours && ids.length < size; h++) {
    const calls = d.sandbox.mcn.addCalls(Math.min(Math.ceil(size / hours), size - ids.length), {
      at: first.plus({ hours: h, minutes: 1 }).toJSDate(),
      inboundOnly: true,
    });
    ids.push(...calls.map((c) => c.callid));
  }
  const startedAt = Date.now();
  const child = spawn(
    process.execPath,
    [CLI, 'backfill', '--from', first.toISODate()!, '--to', first.plus({ days: 2 }).toISODate()!],
    { cwd: ROOT, env: { ...process.env, ...d.env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const enqueued = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      if (code !== 0)
        process.stderr.write(`touchline backfill exited ${String(code)}:\n${stderr}\n`);
      resolve(code);
    }),
  );
  return { ids, startedAt, enqueued };
}

async function withBackfill(
  name: string,
  d: Deployment,
  size: number,
  calls: number,
): Promise<string[]> {
  const b = await backfill(d, size);
  // The stand-in shares this process: what the bench looks at while the drain runs must cost
  // its event loop next to nothing (a copy of 40,000 calls would stall the window's clock and
  // draw 429s that Touchline did not cause). Counters only, until the drain is over.
  const before = d.sandbox.calltouch.stats().calls.unique;
  const progress = setInterval(() => {
    const stats = d.sandbox.calltouch.stats();
    process.stderr.write(
      `  … ${stats.calls.unique - before} calls at Calltouch, ${stats.requests.total} requests\n`,
    );
  }, 5_000);
  progress.unref();
  // Live calls while the backlog drains (the drain takes size / 500 s at the ceiling).
  const delays = await liveCalls(d, calls);
  const code = await b.enqueued;
  await waitFor(() => d.sandbox.calltouch.stats().calls.unique >= before + size + calls, {
    timeoutMs: 600_000,
    intervalMs: 200,
    message: 'the backfill drained',
  }).finally(() => clearInterval(progress));
  const received = d.sandbox.calltouch.calls();
  const times = b.ids.map((id) => Date.parse(received[id]!.firstReceivedAt));
  // The drain: from the first backfilled call at Calltouch to the last.
  const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
  const stats = d.sandbox.calltouch.stats();
  const once = b.ids.every((id) => received[id]!.receiveCount === 1);
  return [
    `${name}: live calls during the drain: ${describe(delays)}`,
    `${name}: backfill of ${size} calls (exit ${String(code)}) drained in ${seconds.toFixed(1)} s: ` +
      `${(size / seconds).toFixed(1)} calls/s = ${(size / seconds / CEILING).toFixed(3)} of the ceiling ` +
      `(first to last at Calltouch; the command ran ${((Math.min(...times) - b.startedAt) / 1000).toFixed(1)} s before the first), each once: ${once}, 429s ${stats.requests.rateLimited}`,
  ];
}

async function scenarioDay(dayCalls: number, minutes: number, workers: number) {
  const d = await deploy({ events: true, pollSeconds: 60, workers });
  try {
    d.sandbox.mcn.setEvents({ share: 0.9, duplicateShare: 0.05, lateLogShare: 0.05 });
    const perSecond = dayCalls / (minutes * 60);
    const ids: string[] = [];
    const endedAt = new Map<string, number>();
    const perMinute: number[] = [];
    let lastRequests = d.sandbox.mcn.stats().requests.ok;
    const started = Date.now();
    let owed = 0;
    let lastTick = Date.now();
    let minuteStarted = Date.now();
    while (Date.now() - started < minutes * 60_000) {
      await sleep(100);
      const now = Date.now();
      owed += ((now - lastTick) / 1000) * perSecond;
      lastTick = now;
      const due = Math.floor(owed);
      owed -= due;
      if (due > 0)
        for (const call of d.sandbox.mcn.addCalls(due, { inboundOnly: true })) {
          ids.push(call.callid);
          endedAt.set(call.callid, now);
        }
      if (now - minuteStarted >= 60_000) {
        const requests = d.sandbox.mcn.stats().requests.ok;
        perMinute.push(requests - lastRequests);
        lastRequests = requests;
        minuteStarted = now;
      }
    }
    await waitFor(() => ids.every((id) => d.sandbox.calltouch.call(id)), {
      timeoutMs: 180_000,
      intervalMs: 500,
      message: 'every call of the day at Calltouch',
    });
    const events = d.sandbox.mcn.stats().events;
    const received = d.sandbox.calltouch.calls();
    const delays = ids.map((id) => Date.parse(received[id]!.firstReceivedAt) - endedAt.get(id)!);
    return [
      `day: ${ids.length} calls over ${minutes} min, events for ${events.sent} (${events.withoutEvent} calls without one): ` +
        `MCN requests per minute ${perMinute.join(', ')} (max ${Math.max(...perMinute)}); every call at Calltouch: true, ` +
        `duplicates ${d.sandbox.calltouch.stats().calls.duplicates}`,
      `day: call end → Calltouch over the day (the calls without an event included): ${describe(delays)}`,
    ];
  } finally {
    await d.close();
  }
}

async function scenarioLeads(count: number, workers: number) {
  const received = new Map<string, number>();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      try {
        const id = String((JSON.parse(body) as { requestId: unknown }).requestId);
        if (!received.has(id)) received.set(id, Date.now());
      } catch {
        // not a lead
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/leads`;
  const d = await deploy({
    events: true,
    pollSeconds: 60,
    workers,
    roles: ['crm-listener', 'leads'],
    extraEnv: {
      LEADS_WEBHOOK_URL: url,
      LEADS_WEBHOOK_SECRET: LEADS_SECRET,
      LEADS_POLL_INTERVAL_SECONDS: '300',
      LEADS_EVENTS_MIN_GAP_SECONDS: '1',
    },
  });
  try {
    const delays: number[] = [];
    for (let i = 0; i < count; i++) {
      const [record] = d.sandbox.calltouch.addRequests(1);
      const id = String(record!.requestId);
      await waitFor(() => received.get(id), {
        timeoutMs: 120_000,
        intervalMs: 10,
        message: `lead ${id} at the CRM`,
      });
      delays.push(received.get(id)! - record!.date);
      await sleep(2_000 + Math.random() * 1_000);
    }
    return [`leads, events on: created in Calltouch → at the CRM webhook: ${describe(delays)}`];
  } finally {
    await d.close();
    await new Promise((resolve) => receiver.close(resolve));
  }
}

export async function benchFreshness(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      scenarios: { type: 'string', default: 'idle,backfill,poll,day,leads' },
      backlog: { type: 'string', default: '40000' },
      calls: { type: 'string', default: '20' },
      poll: { type: 'string', default: '5' },
      'day-calls': { type: 'string', default: '20000' },
      'day-minutes': { type: 'string', default: '10' },
      workers: { type: 'string', default: '1' },
    },
  });
  const num = (name: keyof typeof values) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} expects a number`);
    return n;
  };
  const scenarios = new Set(String(values.scenarios).split(','));
  const workers = num('workers');
  const lines: string[] = [];
  const report = (more: string[]) => {
    for (const line of more) console.log(line);
    lines.push(...more);
  };
  if (scenarios.has('idle')) {
    const d = await deploy({ events: true, pollSeconds: 60, workers });
    try {
      report([`idle, events on: ${describe(await liveCalls(d, num('calls')))}`]);
    } finally {
      await d.close();
    }
  }
  if (scenarios.has('backfill')) {
    const d = await deploy({ events: true, pollSeconds: 60, workers });
    try {
      report(await withBackfill('events on', d, num('backlog'), num('calls')));
    } finally {
      await d.close();
    }
  }
  if (scenarios.has('poll')) {
    const d = await deploy({ events: false, pollSeconds: num('poll'), workers });
    try {
      report(
        await withBackfill(`events off, poll ${num('poll')} s`, d, num('backlog'), num('calls')),
      );
    } finally {
      await d.close();
    }
  }
  if (scenarios.has('day'))
    report(await scenarioDay(num('day-calls'), num('day-minutes'), workers));
  if (scenarios.has('leads')) report(await scenarioLeads(num('calls'), workers));
  console.log(
    `\nworkers: ${workers}; machine load average ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}
