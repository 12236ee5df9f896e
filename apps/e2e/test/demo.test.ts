import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CLI, ROOT, TEST_REDIS_URL, freePort, waitFor } from '@touchline/testing';

let demo: ChildProcess | undefined;
afterEach(() => {
  if (demo && demo.exitCode === null && demo.signalCode === null)
    process.kill(-demo.pid!, 'SIGKILL');
  demo = undefined;
});

/** The last figure the demo's summary printed after `label`. */
const lastFigure = (out: string, label: RegExp): number => {
  const all = [...out.matchAll(new RegExp(`${label.source}\\s+(\\d+)`, 'g'))];
  return Number(all.at(-1)?.[1] ?? 0);
};

/**
 * Runs `touchline demo` as a user in a terminal does, until calls, orders and leads all flow,
 * then presses Ctrl-C; checks the screen, the exit and the role logs; returns the screen.
 */
async function demoUntilFlowing(redisUrl: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redisUrl };
  delete env['LOG_LEVEL'];
  // Its own process group, as in a terminal, where Ctrl-C signals the whole group.
  demo = spawn(process.execPath, [CLI, 'demo', '--workers', '2'], {
    cwd: ROOT,
    env,
    stdio: 'pipe',
    detached: true,
  });
  let out = '';
  let err = '';
  demo.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  demo.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => demo!.once('exit', resolve));

  const started = Date.now();
  await waitFor(
    () =>
      lastFigure(out, /calls\s+delivered/) > 0 &&
      lastFigure(out, /orders\s+in Calltouch/) > 0 &&
      lastFigure(out, /leads\s+delivered to the CRM/) > 0,
    { timeoutMs: 60_000, intervalMs: 200, message: `calls, orders and leads in:\n${out}` },
  );
  const flowingAfter = (Date.now() - started) / 1000;
  expect(flowingAfter).toBeLessThan(60);
  expect(out).toMatch(/Bull Board/i);
  expect(out).toMatch(/\/metrics/);
  expect(out).toMatch(/__sandbox/);
  expect(out).toMatch(/429s 0\b/);

  const interrupted = Date.now();
  process.kill(-demo.pid!, 'SIGINT'); // Ctrl-C: SIGINT to every process of the terminal's group
  const code = await Promise.race([
    exited,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
  ]);
  expect(code).toBe(0);
  expect((Date.now() - interrupted) / 1000).toBeLessThan(10);
  expect(out).toMatch(/stopped\./);
  // No error lines: not on the screen, not in the role logs it points to.
  expect(err).not.toMatch(/error/i);
  expect(out).not.toMatch(/error/i);
  const logFile = /role logs: (\S+)/.exec(out)?.[1];
  expect(logFile).toBeDefined();
  const errors = readFileSync(logFile!, 'utf8')
    .split('\n')
    .filter((line) => /"level":"(error|fatal)"|forcing exit|timed out/.test(line));
  rmSync(logFile!, { force: true });
  expect(errors).toEqual([]);
  return out;
}

describe('touchline demo, as a new user runs it', () => {
  it('with no Redis answering: starts its own, flows within 60 s, exits 0 on Ctrl-C within 10 s', async () => {
    const out = await demoUntilFlowing(`redis://127.0.0.1:${await freePort()}`);
    expect(out).toMatch(/private, stopped on exit/);
  }, 90_000);

  it('on the Redis at REDIS_URL: flows, exits 0, and leaves none of its keys behind', async () => {
    const out = await demoUntilFlowing(TEST_REDIS_URL);
    const prefix = /prefix (touchline-demo-\S+)/.exec(out)?.[1];
    expect(prefix).toBeDefined();
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const [, left] = await redis.scan('0', 'MATCH', `${prefix!}*`, 'COUNT', 100_000);
      expect(left).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 90_000);
});
