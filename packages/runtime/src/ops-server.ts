import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Component } from './component.ts';
import { listenOn } from './startup-error.ts';

export interface OpsServerOptions {
  readonly port: number;
  readonly host?: string;
  /** The variable that set `port`, named when it cannot be used (default METRICS_PORT). */
  readonly portVariable?: string;
  readonly registry: Registry;
  /** Readiness checks; `/readyz` answers 503 naming each one that fails. */
  readonly checks?: Record<string, () => Promise<boolean>>;
}

/**
 * `GET /metrics`, `GET /healthz` (the process is alive) and `GET /readyz` (its dependencies
 * answer). Served by every long-running role as soon as it starts, before anything else.
 */
export function createOpsServer(
  options: OpsServerOptions,
): Component & { readonly app: FastifyInstance; port(): number } {
  const app = Fastify({ logger: false });
  registerProbes(app, options.checks ?? {});
  app.get('/metrics', async (_req, reply) => {
    const body = await options.registry.metrics();
    return reply.header('content-type', options.registry.contentType).send(body);
  });
  let started = false;
  return {
    name: 'ops-server',
    app,
    port: () => {
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : options.port;
    },
    start: async () => {
      if (started) return;
      started = true;
      await listenOn(app, {
        port: options.port,
        host: options.host ?? '0.0.0.0',
        portVariable: options.portVariable ?? 'METRICS_PORT',
      });
    },
    close: async () => {
      await app.close();
    },
  };
}

/**
 * `GET /healthz` (the process is alive) and `GET /readyz` (200, or 503 naming every check that
 * fails or throws) on any Fastify app that serves probes.
 */
export function registerProbes(
  app: FastifyInstance,
  checks: Readonly<Record<string, () => Promise<boolean>>>,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const results = await Promise.all(
      Object.entries(checks).map(
        async ([name, check]) => [name, await check().catch(() => false)] as const,
      ),
    );
    const failing = results.filter(([, ok]) => !ok).map(([name]) => name);
    return reply
      .code(failing.length ? 503 : 200)
      .send({ status: failing.length ? 'unready' : 'ready', failing });
  });
}
