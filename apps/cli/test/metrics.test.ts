import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCalltouchCall } from '@touchline/calls';
import { parseConfig, schemas } from '@touchline/config';
import { createMcnClient } from '@touchline/mcn';
import { mcnPollerRole, workerRole } from '@touchline/roles';
import { runRoles, type RunningRoles } from '@touchline/runtime';
import { createSandbox, type Sandbox } from '@touchline/sandbox';
import { TEST_REDIS_URL, freePort, useTestRedis, waitFor } from '@touchline/testing';
import { parseExposition, select, sum, type Exposition } from './prom-text.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PROMETHEUS = '/usr/bin/prometheus';
const ALERT_RULES = join(ROOT, 'infra/prometheus/alerts.yml');
const { prefix } = useTestRedis('metrics');
const mapping = { mcnTimeZone: 'Europe/Moscow', calltouchTimeZone: 'Europe/Moscow' };
let sandbox: Sandbox;
let worker: RunningRoles;
let poller: RunningRoles;
let workerPort: number;
let pollerPort: number;
let expectedCalls: number;

const scrape = async (port: number): Promise<Exposition> => {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await res.text());
};

beforeAll(async () => {
  // Real Calltouch limits (5 requests/s), short latency; an MCN log with a few broken records.
  sandbox = await createSandbox({
    calltouch: { latencyMs: { min: 5, max: 20 } },
    mcn: { historyDays: 0, callsPerDay: 0, liveCallsPerMinute: 0, malformedShare: 0.05, seed: 11 },
  });
  sandbox.mcn.addCalls(400);
  // What Touchline should import: the records MCN's client accepts, mapped to inbound calls.
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: mapping.mcnTimeZone }).format(
    new Date(),
  );
  const log = await createMcnClient({
    apiUrl: sandbox.env['MCN_API_URL']!,
    token: sandbox.env['MCN_API_TOKEN']!,
    accountId: sandbox.env['MCN_ACCOUNT_ID']!,
    vpbxId: sandbox.env['MCN_VPBX_ID']!,
  }).fetchCallLog(today, today);
  expect(log.invalid.length).toBeGreaterThan(0);
  expectedCalls = log.calls.filter((c) => toCalltouchCall(c, mapping).kind === 'call').length;
  [workerPort, pollerPort] = [await freePort(), await freePort()];
  const common = {
    ...sandbox.env,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'error',
  };
  worker = await runRoles({
    name: 'worker',
    roles: [workerRole()],
    config: parseConfig(schemas.worker, {
      ...common,
      METRICS_PORT: String(workerPort),
      CHUNK_MAX_WAIT_MS: '200',
      CALLTOUCH_POINTS_DAILY_BUDGET: '10000',
    }),
    handleSignals: false,
  });
  poller = await runRoles({
    name: 'mcn-poller',
    roles: [mcnPollerRole()],
    config: parseConfig(schemas.mcnPoller, {
      ...common,
      METRICS_PORT: String(pollerPort),
      MCN_POLL_INTERVAL_SECONDS: '1',
    }),
    handleSignals: false,
  });
  // Everything the poller read is at Calltouch, and the worker has counted it.
  await waitFor(
    async () => {
      if (sandbox.calltouch.stats().calls.unique < expectedCalls) return false;
      const w = await scrape(workerPort);
      return (
        sum(w, 'touchline_calltouch_items_total', {
          endpoint: 'calls_import',
          outcome: 'delivered',
        }) >= expectedCalls &&
        sum(w, 'touchline_calltouch_points_spent_total', { endpoint: 'calls_import' }) ===
          sandbox.calltouch.stats().points.byEndpoint.calls_import
      );
    },
    { timeoutMs: 30_000, intervalMs: 200, message: `${expectedCalls} calls delivered and counted` },
  );
});

afterAll(async () => {
  await poller?.stop();
  await worker?.stop();
  await sandbox?.close();
});

/** docs/metrics.md, by role: name → type, labels every sample carries, and the values allowed. */
type Spec = Record<string, { type: string; labels: Record<string, readonly string[] | null> }>;
const ENDPOINTS = ['calls_import', 'orders_create', 'orders_update', 'requests_export'];
const WORKER_SPEC: Spec = {
  touchline_queue_jobs: {
    type: 'gauge',
    labels: {
      queue: ['calls', 'orders', 'leads'],
      state: ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'],
    },
  },
  touchline_pending_items: { type: 'gauge', labels: { flow: ['calls', 'orders', 'leads'] } },
  touchline_calltouch_requests_total: {
    type: 'counter',
    labels: {
      endpoint: ENDPOINTS,
      outcome: ['ok', 'rate_limited', 'client_error', 'server_error', 'network_error'],
    },
  },
  touchline_calltouch_items_total: {
    type: 'counter',
    labels: { endpoint: ENDPOINTS, outcome: ['delivered', 'rejected', 'duplicate'] },
  },
  touchline_calltouch_request_duration_seconds: {
    type: 'histogram',
    labels: { endpoint: ENDPOINTS },
  },
  touchline_calltouch_points_spent_total: { type: 'counter', labels: { endpoint: ENDPOINTS } },
  touchline_calltouch_points_remaining: { type: 'gauge', labels: {} },
};
const POLLER_SPEC: Spec = {
  touchline_mcn_calls_total: {
    type: 'counter',
    labels: { outcome: ['enqueued', 'duplicate', 'skipped', 'rejected'] },
  },
  touchline_mcn_poll_lag_seconds: { type: 'gauge', labels: {} },
};

/** Every metric of the spec has its TYPE line and samples whose labels match the spec. */
const checkSpec = (e: Exposition, spec: Spec) => {
  for (const [name, { type, labels }] of Object.entries(spec)) {
    expect(e.types.get(name), `# TYPE of ${name}`).toBe(type);
    const series = e.samples.filter((s) =>
      type === 'histogram'
        ? [`${name}_bucket`, `${name}_sum`, `${name}_count`].includes(s.name)
        : s.name === name,
    );
    expect(series.length, `samples of ${name}`).toBeGreaterThan(0);
    for (const sample of series) {
      for (const [label, allowed] of Object.entries(labels)) {
        const value = sample.labels[label];
        expect(value, `${sample.name} label ${label}`).toBeDefined();
        if (allowed) expect(allowed, `${sample.name}{${label}="${value}"}`).toContain(value);
      }
      if (Object.keys(labels).length === 0) {
        expect(Object.keys(sample.labels), `${name} has no labels`).toEqual([]);
      }
      if (sample.name.endsWith('_bucket')) expect(sample.labels['le']).toBeDefined();
    }
  }
};

describe('metrics after calls flowed through the sandbox (docs/metrics.md)', () => {
  it('worker: every metric it exports by name, type and labels, and the default process metrics', async () => {
    const w = await scrape(workerPort);
    checkSpec(w, WORKER_SPEC);
    // One sample per queue and state, so dashboards never see a gap.
    expect(select(w, 'touchline_queue_jobs')).toHaveLength(18);
    expect(w.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(w.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    // The worker does not export what the poller does, and vice versa.
    expect(w.types.has('touchline_mcn_calls_total')).toBe(false);
  });

  it('poller: every metric it exports by name, type and labels; no queue gauges', async () => {
    const p = await scrape(pollerPort);
    checkSpec(p, POLLER_SPEC);
    expect(p.types.has('touchline_queue_jobs')).toBe(false);
    expect(sum(p, 'touchline_mcn_calls_total', { outcome: 'enqueued' })).toBe(expectedCalls);
    expect(sum(p, 'touchline_mcn_calls_total', { outcome: 'rejected' })).toBeGreaterThan(0);
    const lag = sum(p, 'touchline_mcn_poll_lag_seconds');
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(30);
  });

  it('delivered counts equal what the sandbox received', async () => {
    const w = await scrape(workerPort);
    const stats = sandbox.calltouch.stats();
    expect(stats.calls.unique).toBe(expectedCalls);
    expect(
      sum(w, 'touchline_calltouch_items_total', { endpoint: 'calls_import', outcome: 'delivered' }),
    ).toBe(stats.calls.unique);
    // Every request that reached Calltouch was counted once, whatever its answer.
    expect(sum(w, 'touchline_calltouch_requests_total', { endpoint: 'calls_import' })).toBe(
      stats.requests.byEndpoint.calls_import,
    );
    expect(sum(w, 'touchline_calltouch_requests_total', { outcome: 'rate_limited' })).toBe(
      stats.requests.rateLimited,
    );
    expect(sum(w, 'touchline_calltouch_points_spent_total', { endpoint: 'calls_import' })).toBe(
      stats.points.byEndpoint.calls_import,
    );
    expect(sum(w, 'touchline_calltouch_points_remaining')).toBe(10_000 - stats.points.total);
    expect(
      sum(w, 'touchline_calltouch_request_duration_seconds_count', { endpoint: 'calls_import' }),
    ).toBe(stats.requests.byEndpoint.calls_import);
    expect(sum(w, 'touchline_queue_jobs', { queue: 'calls', state: 'completed' })).toBe(
      expectedCalls,
    );
    expect(sum(w, 'touchline_pending_items', { flow: 'calls' })).toBe(0);
  });
});

describe.skipIf(!existsSync(PROMETHEUS))('a real Prometheus scraping the roles', () => {
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let url: string;
  const output: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'touchline-prometheus-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The project's job names and egress label (infra/prometheus/prometheus.yml), with static
    // loopback targets instead of compose DNS, and its alert rules loaded.
    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      ...(existsSync(ALERT_RULES) ? ['rule_files:', `  - ${JSON.stringify(ALERT_RULES)}`] : []),
      'scrape_configs:',
      '  - job_name: touchline-worker',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${workerPort}']`,
      '        labels: { egress: default }',
      '  - job_name: touchline-mcn-poller',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${pollerPort}']`,
      '',
    ].join('\n');
    await writeFile(join(dir, 'prometheus.yml'), config);
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    prometheus.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    await waitFor(
      async () => {
        if (prometheus?.exitCode !== null) throw new Error(`prometheus exited: ${output.join('')}`);
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'Prometheus ready' },
    );
  });

  afterAll(async () => {
    const child = prometheus;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  interface QueryResult {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  }
  const query = async (q: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
    return (await res.json()) as QueryResult;
  };

  it('finds touchline_ series of both roles through its HTTP API', async () => {
    const jobs = await waitFor(
      async () => {
        const r = await query('touchline_queue_jobs');
        return r.data.result.length >= 18 ? r : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, message: 'touchline_queue_jobs in Prometheus' },
    );
    expect(jobs.status).toBe('success');
    const completed = jobs.data.result.find(
      (s) => s.metric['queue'] === 'calls' && s.metric['state'] === 'completed',
    );
    expect(completed?.metric).toMatchObject({ job: 'touchline-worker', egress: 'default' });
    expect(Number(completed?.value[1])).toBe(expectedCalls);

    const delivered = await query(
      'sum(touchline_calltouch_items_total{endpoint="calls_import",outcome="delivered"})',
    );
    expect(Number(delivered.data.result[0]?.value[1])).toBe(expectedCalls);
    const up = await waitFor(
      async () => {
        const r = await query('up{job="touchline-mcn-poller"} == 1');
        return r.data.result.length === 1 ? r : undefined;
      },
      { timeoutMs: 10_000, message: 'the poller target up' },
    );
    expect(up.data.result[0]?.metric['job']).toBe('touchline-mcn-poller');
    const lag = await query('touchline_mcn_poll_lag_seconds');
    expect(lag.data.result).toHaveLength(1);
  });

  it.skipIf(!existsSync(ALERT_RULES))('loads the project alert rules', async () => {
    const res = (await (await fetch(`${url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const rules = res.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(0);
    await waitFor(
      async () => {
        const r = (await (await fetch(`${url}/api/v1/rules`)).json()) as typeof res;
        const all = r.data.groups.flatMap((g) => g.rules);
        return all.every((rule) => rule.health === 'ok');
      },
      { timeoutMs: 15_000, intervalMs: 250, message: 'every alert rule evaluated without error' },
    );
  });
});
