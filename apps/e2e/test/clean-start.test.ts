import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createSandbox, type Sandbox } from '@touchline/sandbox';
import {
  freePort,
  startRedisServer,
  startRole,
  stop,
  waitFor,
  type RedisServer,
} from '@touchline/testing';

/**
 * An operator's first sight of a role's logs is its start: a clean start against a reachable
 * Redis and working APIs must not log a single line at level warn or above (issue 16, item 16:
 * the first heartbeat used to log "heartbeat not written; will retry" with a stack trace). Each
 * role runs as its own process (`touchline <role>`, as production runs it) on a private Redis
 * with the default configuration, so the result does not depend on how the shared test Redis is
 * set up; anything on stderr or stdout that is not a JSON log line below warn fails the test.
 */
let redis: RedisServer;
let sandbox: Sandbox;
let crm: Server;
let crmUrl: string;

beforeAll(async () => {
  redis = await startRedisServer();
  // No deliberately broken MCN records: the poller rightly warns about each one it meets.
  sandbox = await createSandbox({ mcn: { malformedShare: 0 } });
  crm = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
  const address = crm.address();
  crmUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/leads`;
});

afterAll(async () => {
  await new Promise((resolve) => crm?.close(resolve));
  await sandbox?.close();
  await redis?.stop();
});

interface LogLine {
  readonly level?: string;
  readonly msg?: string;
}

const LOW_LEVELS = new Set(['trace', 'debug', 'info']);

/** Lines that are not JSON log lines below warn: what an operator would count as an alarm. */
const alarming = (lines: readonly string[]): string[] =>
  lines.filter((line) => {
    try {
      const parsed = JSON.parse(line) as LogLine;
      return !LOW_LEVELS.has(parsed.level ?? '');
    } catch {
      return true;
    }
  });

const ROLES: readonly { role: string; ready: readonly string[] }[] = [
  { role: 'worker', ready: ['worker'] },
  { role: 'mcn-poller', ready: ['mcn-poller'] },
  { role: 'crm-listener', ready: ['crm-listener'] },
  { role: 'leads', ready: ['leads'] },
  { role: 'board', ready: ['board'] },
  { role: 'all', ready: ['worker', 'mcn-poller', 'crm-listener', 'leads', 'board'] },
];

describe('a clean start logs no warning', () => {
  for (const { role, ready } of ROLES) {
    it(`touchline ${role}`, async () => {
      const prefix = `tlclean-${randomUUID().slice(0, 8)}`;
      const metricsPort = await freePort();
      const lines: string[] = [];
      const child = startRole(
        role,
        {
          ...sandbox.env,
          REDIS_URL: redis.url,
          QUEUE_PREFIX: prefix,
          LOG_LEVEL: 'debug',
          METRICS_PORT: String(metricsPort),
          CRM_LISTENER_PORT: String(await freePort()),
          CRM_WEBHOOK_SECRET: 'a-crm-secret-of-sixteen-chars',
          BOARD_PORT: String(await freePort()),
          BOARD_HOST: '127.0.0.1',
          LEADS_WEBHOOK_URL: crmUrl,
          LEADS_WEBHOOK_SECRET: 'a-leads-secret',
        },
        (line) => lines.push(line.slice(line.indexOf('] ') + 2)),
      );
      const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        // Started, ready (Redis and every component), every role's first heartbeat written, and
        // the start-up check of maxmemory-policy done: everything a start does has happened.
        await waitFor(
          async () => {
            if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}`);
            const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(
              () => undefined,
            );
            if (res?.status !== 200) return false;
            const beats = await probe.zrange(`${prefix}:heartbeats`, 0, -1);
            return (
              ready.every((r) => beats.some((b) => b.startsWith(`${r}:`))) &&
              lines.some((l) => l.includes('maxmemory-policy'))
            );
          },
          { timeoutMs: 30_000, intervalMs: 50, message: `${role} to start:\n${lines.join('\n')}` },
        );
        expect(alarming(lines)).toEqual([]);
      } finally {
        await stop(child);
        probe.disconnect();
      }
      expect(child.exitCode).toBe(0);
      // A graceful stop is no alarm either.
      expect(alarming(lines)).toEqual([]);
    });
  }
});
