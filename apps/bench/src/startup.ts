/**
 * `npm run bench -- startup [--runs=N] [--node=PATH,…] [--entry=FILE]`: how long the `touchline`
 * command takes to start, for docs/benchmarks.md.
 *
 * - `status --help`: wall time from spawn to exit (commander only, no Redis);
 * - `worker`: wall time from spawn until `GET /healthz` on its METRICS_PORT answers 200 (the
 *   ops server starts first, so this is module loading plus the role's construction), then the
 *   worker is stopped with SIGTERM.
 *
 * Each figure is the median (and the 90th percentile) of `--runs` runs (default 15) after one
 * warm-up run, per Node binary (`--node`, default the one running this). `--entry` runs another
 * entry point than apps/cli/bin/touchline.js (e.g. the image's apps/cli/dist/touchline.mjs).
 * Needs Redis at REDIS_URL for the worker (a unique queue prefix, deleted afterwards).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { CLI, ROOT, cpuSeconds, deleteKeys, freePort, stop, waitFor } from '@touchline/testing';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

const option = (args: readonly string[], name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

/** Wall time of `node <entry> status --help`, ms. */
function timeHelp(node: string, entry: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(node, [entry, 'status', '--help'], { cwd: ROOT, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`status --help exited ${run.status}: ${run.stderr}`);
  return ms;
}

/**
 * Wall time from spawning `node <entry> worker` until its /healthz answers, and the CPU time the
 * process had used by then (less sensitive to other load on the machine), ms.
 */
async function timeWorker(
  node: string,
  entry: string,
  prefix: string,
): Promise<{ wall: number; cpu: number }> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(node, [entry, 'worker'], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      METRICS_PORT: String(port),
      LOG_LEVEL: 'warn',
      // Never used: the worker only has to start, and sends nothing from an empty queue.
      CALLTOUCH_SITE_ID: '1',
      CALLTOUCH_API_TOKEN: 'bench',
      CALLTOUCH_ATS_CODE: 'bench',
      CALLTOUCH_ATS_TOKEN: 'bench',
      CALLTOUCH_API_URL: 'http://127.0.0.1:9',
      CALLTOUCH_ATS_URL: 'http://127.0.0.1:9',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`worker exited ${child.exitCode}`);
        const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        return res?.ok === true;
      },
      { timeoutMs: 30_000, intervalMs: 5, message: 'the worker /healthz' },
    );
    const wall = Number(process.hrtime.bigint() - started) / 1e6;
    return { wall, cpu: child.pid ? cpuSeconds(child.pid) * 1000 : Number.NaN };
  } finally {
    await stop(child);
  }
}

export async function benchStartup(args: readonly string[]): Promise<void> {
  const runs = Number(option(args, 'runs') ?? 15);
  const nodes = (option(args, 'node') ?? process.execPath).split(',');
  const entry = option(args, 'entry') ?? CLI;
  const prefix = `tlbench-startup-${randomUUID().slice(0, 8)}`;
  const rows: string[] = [];
  try {
    for (const node of nodes) {
      const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
      timeHelp(node, entry);
      await timeWorker(node, entry, prefix);
      const help: number[] = [];
      const worker: number[] = [];
      const workerCpu: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        help.push(timeHelp(node, entry));
        const { wall, cpu } = await timeWorker(node, entry, prefix);
        worker.push(wall);
        workerCpu.push(cpu);
      }
      const fmt = (values: number[]) =>
        `${quantile(values, 0.5).toFixed(0)} ms (p90 ${quantile(values, 0.9).toFixed(0)})`;
      rows.push(
        `| ${version} | ${fmt(help)} | ${fmt(worker)} | ${quantile(workerCpu, 0.5).toFixed(0)} ms |`,
      );
    }
  } finally {
    await deleteKeys(REDIS_URL, prefix);
  }
  console.log(`entry: ${entry}, ${runs} runs each, median (90th percentile)\n`);
  console.log(
    '| node | `status --help` to exit | `worker` to /healthz 200 | worker CPU by then (median) |',
  );
  console.log('| ---- | ---- | ---- | ---- |');
  for (const row of rows) console.log(row);
}
