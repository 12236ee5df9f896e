/**
 * `npm run bench -- calls`: drains a backlog of calls through 1, 2 and 4 worker processes into
 * the sandbox's Calltouch (strict sliding window of 5 requests/s, 20–60 ms latency) and prints
 * delivered calls/s against the ceiling (5 × 100 = 500 calls/s), calls per request, 429s,
 * duplicates, lost calls, CPU per 1,000 calls and worker memory; then the idle latency of one
 * new call from MCN to Calltouch.
 *
 * Options (strict: a mistyped one is refused with exit code 64):
 *   --backlog=N        calls per drain (20,000)
 *   --workers=1,2,4    worker processes of each drain; empty: no drain
 *   --jitter=MS        the stand-in's arrival jitter (SANDBOX_CALLTOUCH_ARRIVAL_JITTER_MS), 0
 *   --busy             every core kept busy by another process during each drain; the sandbox
 *                      then gets no CPU priority either
 *   --trace            per drain, the delay between each request's write and the stand-in's
 *                      window seeing it (jitter plus the stand-in's own stalls), and the
 *                      spacing behind each 429
 *   --no-idle          skip the idle latency part
 *   --poll=S, --idle-samples=N   the idle latency part (5 s, 10 samples)
 *   --verbose          every role's log lines on stderr
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg, setPriority } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { callJobSchema, callsFlowSpec } from '@touchline/calls';
import { addJobsAtomically, createFlowQueue, toNewJob } from '@touchline/queue';

import {
  cpuSeconds,
  deleteKeys,
  freePort,
  memoryMiB,
  sleep,
  startRole,
  stop,
  waitFor,
} from '@touchline/testing';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const CEILING = 500;

interface StandInStats {
  requests: {
    total: number;
    byEndpoint: Record<string, number>;
    byStatus: Record<string, number>;
    rateLimited: number;
  };
  maxRequestsInAnyWindow: number;
  calls: { received: number; unique: number; duplicates: number };
}

const getJson = async <T>(url: string, init?: RequestInit): Promise<T> => {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
};

const pad = (n: number) => String(n).padStart(2, '0');
const moscow = (ms: number) => {
  const d = new Date(ms + 3 * 3_600_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

/** A finished inbound call as the MCN call log has it. */
const mcnCall = (i: number, run: string) => ({
  callid: `${run}-${i}`,
  type: 'inb',
  status: i % 5 === 0 ? 'NOANSWER' : 'ANSWERED',
  date: moscow(Date.now() - 3_600_000 + i),
  answer_date: '',
  waittime: 7,
  talktime: i % 5 === 0 ? 0 : 95,
  src_num: `7916${String(1_000_000 + (i % 9_000_000)).padStart(7, '0')}`,
  did: 74951234567,
  dst_name: i % 5 === 0 ? '' : 'Reception',
});

interface Mode {
  /** The stand-in's arrival jitter, ms. */
  readonly jitterMs: number;
  /** Every core kept busy by another process; the sandbox gets no priority. */
  readonly busy: boolean;
  /** The roles print each write and arrival (TOUCHLINE_DEBUG_LIMITER); see {@link Trace}. */
  readonly trace: boolean;
}

/**
 * What `--trace` collects from the roles' debug lines: when each request was written (worker,
 * `packages/limiter`) and when the stand-in's window saw it (sandbox). Both are wall-clock ms
 * of processes on this host; paired in order, their difference is the delay the window saw
 * beyond our control: the stand-in's arrival jitter plus its own scheduling (a few ms of
 * clock mapping error between processes included).
 */
class Trace {
  private readonly written: number[] = [];
  private readonly arrived: { at: number; ok: boolean }[] = [];

  line(text: string): void {
    const sent = /limiter: sent ([\d.]+)/.exec(text);
    if (sent) this.written.push(Number(sent[1]));
    const arrived = /sandbox: arrived ([\d.]+) (ok|429)/.exec(text);
    if (arrived) this.arrived.push({ at: Number(arrived[1]), ok: arrived[2] === 'ok' });
  }

  summary(): string {
    const written = [...this.written].sort((a, b) => a - b);
    const arrived = [...this.arrived].sort((a, b) => a.at - b.at);
    const n = Math.min(written.length, arrived.length);
    const delays = Array.from(
      { length: n },
      (_, i) => (arrived[i]?.at ?? Number.NaN) - (written[i] ?? Number.NaN),
    ).sort((a, b) => a - b);
    const q = (p: number) => (delays[Math.min(n - 1, Math.floor(n * p))] ?? Number.NaN).toFixed(1);
    const refused = arrived
      .map((a, i) => ({ ...a, i }))
      .filter((a) => !a.ok && a.i >= 5)
      .map((a) => {
        const gap = a.at - (arrived[a.i - 5]?.at ?? Number.NaN);
        const sentGap = (written[a.i] ?? Number.NaN) - (written[a.i - 5] ?? Number.NaN);
        return `${sentGap.toFixed(0)} ms written apart, ${gap.toFixed(0)} ms seen apart`;
      });
    return (
      `trace: ${written.length} written, ${arrived.length} seen; window's delay p50 ${q(0.5)}, ` +
      `p99 ${q(0.99)}, max ${q(1)} ms` +
      (refused.length ? `; 429s (request and the fifth before it): ${refused.join('; ')}` : '')
    );
  }
}

async function startSandbox(log: (l: string) => void, mode: Mode) {
  const ctPort = await freePort();
  const mcnPort = await freePort();
  const child = startRole(
    'sandbox',
    {
      SANDBOX_CALLTOUCH_PORT: String(ctPort),
      SANDBOX_MCN_PORT: String(mcnPort),
      SANDBOX_CALLTOUCH_ARRIVAL_JITTER_MS: String(mode.jitterMs),
      ...(mode.trace ? { TOUCHLINE_DEBUG_LIMITER: '1' } : {}),
      LOG_LEVEL: 'warn',
    },
    log,
  );
  // The stand-in plays a remote service with machines of its own: give it the CPU first, so
  // that its arrival timestamps are not delayed by the workers competing for the same two
  // cores (nice -10; this needs root, or CAP_SYS_NICE). Not on a busy host: there the point is
  // to see what a server as busy as the workers' host does to the window.
  if (!mode.busy) {
    try {
      if (child.pid) setPriority(child.pid, -10);
    } catch {
      log('could not raise the sandbox priority (not root?): its timestamps may jitter under load');
    }
  }
  const ctUrl = `http://127.0.0.1:${ctPort}`;
  const mcnUrl = `http://127.0.0.1:${mcnPort}`;
  await waitFor(() => getJson(`${ctUrl}/__sandbox/stats`).then(() => true), {
    timeoutMs: 20_000,
    intervalMs: 100,
    message: 'the sandbox answering',
  });
  // Touchline's variables pointing at it (the sandbox accepts `sandbox` as every credential).
  const env = {
    CALLTOUCH_API_URL: ctUrl,
    CALLTOUCH_ATS_URL: ctUrl,
    CALLTOUCH_SITE_ID: 'sandbox',
    CALLTOUCH_API_TOKEN: 'sandbox',
    CALLTOUCH_ATS_CODE: 'sandbox',
    CALLTOUCH_ATS_TOKEN: 'sandbox',
    MCN_API_URL: `${mcnUrl}/v2/rest`,
    MCN_API_TOKEN: 'sandbox',
    MCN_ACCOUNT_ID: 'sandbox',
    MCN_VPBX_ID: 'sandbox',
  };
  return { child, ctUrl, mcnUrl, env };
}

interface RunResult {
  workers: number;
  backlog: number;
  seconds: number;
  rate: number;
  ratio: number;
  perRequest: number;
  rateLimited: number;
  duplicates: number;
  lost: number;
  maxWindow: number;
  cpuPer1000: number;
  peakRssMiB: number[];
  rssAtQuarters: number[][];
  /** The shared limiter's counters at the end (packages/limiter). */
  limiter: { stale: number; late: number; widenMs: number };
  /** 1-minute load average at the start and the end of the drain. */
  load: [number, number];
  trace?: string;
}

/**
 * One busy-loop process per core, at normal priority, for as long as the drain runs: the
 * workers, Redis and the stand-in then get the CPU only as the scheduler shares it.
 */
function keepCoresBusy(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

async function drain(
  workers: number,
  backlog: number,
  mode: Mode,
  log: (l: string) => void,
): Promise<RunResult> {
  const hogs = mode.busy ? keepCoresBusy() : [];
  try {
    return await drainWith(workers, backlog, mode, log);
  } finally {
    for (const hog of hogs) hog.kill('SIGKILL');
  }
}

async function drainWith(
  workers: number,
  backlog: number,
  mode: Mode,
  print: (l: string) => void,
): Promise<RunResult> {
  const loadAtStart = loadavg()[0] ?? Number.NaN;
  const trace = mode.trace ? new Trace() : undefined;
  const log = (line: string) => {
    trace?.line(line);
    print(line);
  };
  const sandbox = await startSandbox(log, mode);
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = createFlowQueue(callsFlowSpec, redis, prefix);
  const run = randomUUID().slice(0, 6);
  for (let from = 0; from < backlog; from += 1000) {
    const jobs = [];
    for (let i = from; i < Math.min(backlog, from + 1000); i++) {
      const call = mcnCall(i, run);
      jobs.push(toNewJob(callsFlowSpec, callJobSchema.parse({ mcn: call })));
    }
    await addJobsAtomically(queue, jobs);
  }
  const env = {
    ...sandbox.env,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    ...(mode.trace ? { TOUCHLINE_DEBUG_LIMITER: '1' } : {}),
  };
  const children = [];
  for (let w = 0; w < workers; w++) {
    children.push(startRole('worker', { ...env, METRICS_PORT: String(await freePort()) }, log));
  }
  const stats = () => getJson<StandInStats>(`${sandbox.ctUrl}/__sandbox/stats`);
  let first: { at: number; unique: number } | undefined;
  let last = await stats();
  const quarters: number[][] = [];
  const deadline = Date.now() + (backlog / CEILING) * 3_000 + 60_000;
  while (last.calls.unique < backlog && Date.now() < deadline) {
    await sleep(100);
    last = await stats();
    if (!first && last.calls.unique > 0)
      first = { at: performance.now(), unique: last.calls.unique };
    const quarter = Math.floor((last.calls.unique / backlog) * 4);
    if (quarter > quarters.length && quarter < 4)
      quarters.push(children.map((c) => memoryMiB(c.pid!).rss));
  }
  const end = performance.now();
  quarters.push(children.map((c) => memoryMiB(c.pid!).rss));
  const cpu = children.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0);
  const peaks = children.map((c) => memoryMiB(c.pid!).peak);
  await sleep(1_500); // let late answers and duplicates, if any, arrive before the last count
  last = await stats();
  const loadAtEnd = loadavg()[0] ?? Number.NaN;
  // The limiter's hash: limiterKey() in packages/calltouch-delivery/src/stack.ts.
  const [stale, late, widenMs] = await redis.hmget(
    `${prefix}:limiter:default`,
    'stale',
    'late',
    'widenMs',
  );
  await Promise.all(children.map((c) => stop(c)));
  await stop(sandbox.child);
  await queue.close();
  redis.disconnect();
  await deleteKeys(REDIS_URL, prefix);
  const seconds = first ? (end - first.at) / 1000 : Number.NaN;
  const rate = first ? (last.calls.unique - first.unique) / seconds : 0;
  const okRequests = last.requests.byStatus['200'] ?? 0;
  return {
    workers,
    backlog,
    seconds,
    rate,
    ratio: rate / CEILING,
    perRequest: last.calls.received / Math.max(1, okRequests),
    rateLimited: last.requests.rateLimited,
    duplicates: last.calls.duplicates,
    lost: backlog - last.calls.unique,
    maxWindow: last.maxRequestsInAnyWindow,
    cpuPer1000: (cpu / backlog) * 1000,
    peakRssMiB: peaks,
    rssAtQuarters: quarters,
    limiter: { stale: Number(stale ?? 0), late: Number(late ?? 0), widenMs: Number(widenMs ?? 0) },
    load: [loadAtStart, loadAtEnd],
    ...(trace ? { trace: trace.summary() } : {}),
  };
}

/** One new call at MCN → accepted by Calltouch, with the pipeline idle. */
async function idleLatency(
  pollSeconds: number,
  samples: number,
  mode: Mode,
  log: (l: string) => void,
): Promise<number[]> {
  const sandbox = await startSandbox(log, { ...mode, busy: false });
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const env = {
    ...sandbox.env,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    MCN_POLL_INTERVAL_SECONDS: String(pollSeconds),
  };
  const worker = startRole('worker', { ...env, METRICS_PORT: String(await freePort()) }, log);
  const poller = startRole('mcn-poller', { ...env, METRICS_PORT: String(await freePort()) }, log);
  const received = async () =>
    Object.keys(
      (await getJson<{ calls: Record<string, unknown> }>(`${sandbox.ctUrl}/__sandbox/calls`)).calls,
    );
  // Let the first polls import the seeded history (live calls keep trickling in), then
  // measure single new calls on an idle pipeline.
  let before = -1;
  for (;;) {
    const now = (await received()).length;
    if (now > 0 && now - before <= 5) break;
    before = now;
    await sleep(pollSeconds * 1000 + 1500);
  }
  const latencies: number[] = [];
  for (let s = 0; s < samples; s++) {
    await sleep(Math.random() * pollSeconds * 1000);
    const added = await getJson<{ calls: { callid: string }[] }>(
      `${sandbox.mcnUrl}/__sandbox/calls`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ count: 1, inboundOnly: true }),
      },
    );
    const id = added.calls[0]?.callid;
    const t0 = performance.now();
    for (;;) {
      if (id && (await received()).includes(id)) break;
      if (performance.now() - t0 > (pollSeconds + 30) * 1000) break;
      await sleep(50);
    }
    latencies.push((performance.now() - t0) / 1000);
  }
  await Promise.all([stop(worker), stop(poller)]);
  await stop(sandbox.child);
  await deleteKeys(REDIS_URL, prefix);
  return latencies;
}

/** A whole number from a flag, or a usage error. */
function whole(name: string, text: string, min = 0): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`--${name}=${text}: expected a whole number ≥ ${min}`);
  }
  return value;
}

class UsageError extends Error {}

function parseOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      backlog: { type: 'string', default: '20000' },
      workers: { type: 'string', default: '1,2,4' },
      jitter: { type: 'string', default: '0' },
      busy: { type: 'boolean', default: false },
      trace: { type: 'boolean', default: false },
      'no-idle': { type: 'boolean', default: false },
      poll: { type: 'string', default: '5' },
      'idle-samples': { type: 'string', default: '10' },
      verbose: { type: 'boolean', default: false },
    },
  });
  return {
    backlog: whole('backlog', values.backlog, 1),
    workerCounts: values.workers
      .split(',')
      .filter(Boolean)
      .map((w) => whole('workers', w, 1)),
    mode: { jitterMs: whole('jitter', values.jitter), busy: values.busy, trace: values.trace },
    idle: !values['no-idle'],
    pollSeconds: whole('poll', values.poll, 1),
    idleSamples: whole('idle-samples', values['idle-samples'], 1),
    verbose: values.verbose,
  };
}

export async function benchCalls(args: string[]): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(args);
  } catch (err) {
    // parseArgs refuses unknown flags and values (ERR_PARSE_ARGS_*); exit 64 is sysexits' usage.
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err)) {
      console.error(`bench calls: ${err.message}`);
      process.exitCode = 64;
      return;
    }
    throw err;
  }
  const { backlog, workerCounts, mode, verbose } = options;
  const log = (line: string) => {
    if (verbose || /"level":"(error|fatal)"/.test(line)) console.error(line);
  };
  console.log(
    `calls benchmark: backlog ${backlog}, ceiling ${CEILING} calls/s (5 requests/s × 100), ` +
      `arrival jitter ${mode.jitterMs} ms, ` +
      (mode.busy
        ? `busy host (${availableParallelism()} busy-loop processes, sandbox at normal priority)`
        : 'quiet host (sandbox at nice -10)'),
  );
  console.log(
    'workers | calls/s | ratio | calls/req | 429s | dup | lost | max/1s | stale/late | widen ms | load 1m | CPU s/1k | peak RSS MiB | RSS at 25/50/75/100% (MiB)',
  );
  const results: RunResult[] = [];
  for (const workers of workerCounts) {
    const r = await drain(workers, backlog, mode, log);
    results.push(r);
    console.log(
      [
        String(r.workers).padStart(7),
        r.rate.toFixed(1).padStart(7),
        r.ratio.toFixed(3).padStart(5),
        r.perRequest.toFixed(2).padStart(9),
        String(r.rateLimited).padStart(4),
        String(r.duplicates).padStart(3),
        String(r.lost).padStart(4),
        String(r.maxWindow).padStart(6),
        `${r.limiter.stale}/${r.limiter.late}`.padStart(10),
        r.limiter.widenMs.toFixed(0).padStart(8),
        r.load
          .map((l) => l.toFixed(1))
          .join('→')
          .padStart(7),
        r.cpuPer1000.toFixed(2).padStart(8),
        r.peakRssMiB
          .map((m) => m.toFixed(0))
          .join('/')
          .padStart(12),
        r.rssAtQuarters.map((q) => q.map((m) => m.toFixed(0)).join('+')).join(' → '),
      ].join(' | '),
    );
    if (r.trace) console.log(`        ${r.trace}`);
  }
  const { pollSeconds, idleSamples } = options;
  if (options.idle) {
    const latencies = await idleLatency(pollSeconds, idleSamples, mode, log);
    console.log(
      `idle latency (MCN_POLL_INTERVAL_SECONDS=${pollSeconds}): ${latencies.map((l) => l.toFixed(2)).join(', ')} s; ` +
        `mean ${(latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(2)} s, ` +
        `max ${Math.max(...latencies).toFixed(2)} s (target ≤ ${pollSeconds + 2} s)`,
    );
    if (Math.max(...latencies) > pollSeconds + 2) process.exitCode = 1;
  }
  // docs/benchmarks.md: ≥ 0.95 of the ceiling, ≥ 0.93 on a busy host; zero 429s always.
  const floor = mode.busy ? 0.93 : 0.95;
  const failed = results.filter(
    (r) => r.ratio < floor || r.rateLimited > 0 || r.lost > 0 || r.duplicates > 0,
  );
  if (failed.length) process.exitCode = 1;
}
