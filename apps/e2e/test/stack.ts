import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { toCalltouchCall } from '@touchline/calls';
import type { McnCall } from '@touchline/mcn';
import { createSandbox, type Sandbox } from '@touchline/sandbox';
import { freePort, startRole, stop } from '@touchline/testing';

export interface Stack {
  readonly sandbox: Sandbox;
  readonly prefix: string;
  readonly env: Record<string, string>;
  readonly logs: string[];
  start(
    role: string,
    extra?: Record<string, string>,
  ): Promise<{ child: ChildProcess; metricsPort: number }>;
  close(): Promise<void>;
}

/**
 * The sandbox in this process and the roles as separate processes (as production runs them),
 * on a unique queue prefix of the given Redis.
 */
export async function startStack(
  redisUrl: string,
  sandboxOptions: Parameters<typeof createSandbox>[0] = {},
): Promise<Stack> {
  const sandbox = await createSandbox(sandboxOptions);
  const prefix = `tle2e-${randomUUID().slice(0, 8)}`;
  const env = {
    ...sandbox.env,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'info',
    WORKER_CLAIM_TIMEOUT_MS: '2000',
    CHUNK_MAX_WAIT_MS: '300',
  };
  const children: ChildProcess[] = [];
  const logs: string[] = [];
  return {
    sandbox,
    prefix,
    env,
    logs,
    async start(role, extra = {}) {
      const metricsPort = await freePort();
      const child = startRole(
        role,
        { ...env, METRICS_PORT: String(metricsPort), ...extra },
        (line) => logs.push(line),
      );
      children.push(child);
      return { child, metricsPort };
    },
    async close() {
      await Promise.all(children.map((c) => stop(c)));
      await sandbox.close();
    },
  };
}

/** The value of one Prometheus sample from a role's /metrics (0 when absent). */
export async function metric(
  port: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

const mapping = { mcnTimeZone: 'Europe/Moscow', calltouchTimeZone: 'Europe/Moscow' };

/** The calls of a list that Touchline imports (the sandbox's Moscow defaults). */
export const importable = (calls: McnCall[]): McnCall[] =>
  calls.filter((c) => toCalltouchCall(c, mapping).kind === 'call');
