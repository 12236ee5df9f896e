import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BoardOptions, QueueAdapterOptions } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import fastifyBasicAuth from '@fastify/basic-auth';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import { listenOn, registerProbes } from '@touchline/runtime';
import { createCredentialCheck, type BoardCredentials } from './basic-auth.ts';
import { boardGuard } from './guard.ts';
import { redactValue } from './redact-value.ts';

export interface BoardQueue {
  readonly queue: Queue;
  /** Shown under the queue's name: what an item is and what "failed" means here. */
  readonly description: string;
}

export interface BoardServerOptions {
  readonly queues: readonly BoardQueue[];
  readonly port: number;
  /** Default 127.0.0.1. Anything else requires `auth`. */
  readonly host?: string;
  /**
   * BOARD_READ_ONLY (default true): look, never touch. When false, only what cannot lose an
   * item is allowed (retry parked, promote, remove delivered): see `./guard.ts`.
   */
  readonly readOnly?: boolean;
  /** BOARD_USERNAME / BOARD_PASSWORD; every page and API call asks for them when set. */
  readonly auth?: BoardCredentials | undefined;
  readonly title?: string;
  /** Readiness checks; `/readyz` answers 503 naming each one that fails. */
  readonly checks?: Record<string, () => Promise<boolean>>;
}

export interface BoardServer {
  readonly name: string;
  readonly app: FastifyInstance;
  start(): Promise<void>;
  close(): Promise<void>;
  ready(): Promise<boolean>;
  /** The bound port (the configured one, or the OS's pick for port 0). */
  port(): number;
  url(): string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const MIN_PASSWORD_LENGTH = 12;
const isWeakPassword = (password: string): boolean => {
  const p = password.trim();
  return p.length < MIN_PASSWORD_LENGTH || p.toLowerCase() === 'change-me';
};

/**
 * Bull Board's UI files ship in @bull-board/ui, a dependency of @bull-board/fastify. Bull
 * Board finds them with a `require.resolve` of its own, which depends on how the packages
 * were hoisted; resolving from the adapter's own location works in every layout (workspace
 * run through tsx, a pruned production image).
 */
const uiBasePath = (): string => {
  const fromHere = createRequire(import.meta.url);
  const fromAdapter = createRequire(fromHere.resolve('@bull-board/fastify'));
  return dirname(fromAdapter.resolve('@bull-board/ui/package.json'));
};

/**
 * Bull Board for Touchline's queues, on its own Fastify server: every queue with its
 * description; parked items are BullMQ's "failed" jobs, one click from the overview, each
 * with its reason and a Retry button. Job data, results, reasons and logs are shown with
 * secrets redacted. Basic auth protects everything but `/healthz` and `/readyz`.
 */
export function createBoardServer(options: BoardServerOptions): BoardServer {
  const host = options.host ?? '127.0.0.1';
  const readOnly = options.readOnly ?? true;
  if (!LOOPBACK.has(host) && !options.auth) {
    // The config schema refuses this too; a board reachable from the network without a
    // password would let anyone retry or delete jobs.
    throw new Error(`Bull Board bound to ${host} needs BOARD_USERNAME and BOARD_PASSWORD`);
  }
  if (!LOOPBACK.has(host) && options.auth && isWeakPassword(options.auth.password)) {
    // The same rule as the config schema (packages/config/src/schemas.ts, requireBoardAuth),
    // which reports it as a configuration error (exit 78); this is for other callers.
    throw new Error(
      `Bull Board bound to ${host} needs a BOARD_PASSWORD of at least ${MIN_PASSWORD_LENGTH} characters, not change-me`,
    );
  }
  const app = Fastify({ logger: false });
  const checks = options.checks ?? {};

  const byName = new Map(options.queues.map(({ queue }) => [queue.name, queue]));
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/');
  const adapters = options.queues.map(({ queue, description }) => {
    const adapterOptions: Partial<QueueAdapterOptions> & { allowCompletedRetries: boolean } = {
      description,
      readOnlyMode: readOnly,
      allowRetries: !readOnly,
      // Retrying a delivered item would send it to Calltouch a second time. (Honoured by
      // Bull Board's base adapter, though missing from the constructor's declared type.)
      allowCompletedRetries: false,
    };
    const adapter = new BullMQAdapter(queue, adapterOptions);
    adapter.setFormatter('data', (data: unknown) => redactValue(data));
    adapter.setFormatter('returnValue', (value: unknown) => redactValue(value));
    return adapter;
  });
  const boardOptions: BoardOptions = {
    uiBasePath: uiBasePath(),
    uiConfig: {
      boardTitle: options.title ?? 'Touchline',
      ...(readOnly ? { environment: { label: 'read-only', color: '#6b7280' } } : {}),
    },
    handlerHooks: {
      before: boardGuard(readOnly, async (queueName, jobId) =>
        byName.get(queueName)?.getJobState(jobId),
      ),
      // Reasons, stack traces and logs cannot be formatted per field: scrub whole answers.
      after: (_ctx, result) => ({ ...result, body: redactValue(result.body) as object }),
    },
  };
  createBullBoard({ queues: adapters, serverAdapter, options: boardOptions });

  registerProbes(app, checks);
  // The board in a child context, so that its auth hook leaves the probes open.
  void app.register(async (board) => {
    if (options.auth) {
      const check = createCredentialCheck(options.auth);
      await board.register(fastifyBasicAuth, {
        authenticate: { realm: 'Touchline board' },
        validate: async (username, password) => {
          if (!check(username, password)) return new Error('wrong user name or password');
        },
      });
      board.addHook('onRequest', board.basicAuth);
    }
    await board.register(serverAdapter.registerPlugin());
  });

  let starting: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  const port = () => {
    const address = app.server.address();
    return typeof address === 'object' && address ? address.port : options.port;
  };
  return {
    name: 'board',
    app,
    port,
    url: () => `http://${host.includes(':') ? `[${host}]` : host}:${port()}`,
    start: () =>
      (starting ??= (async () => {
        await listenOn(app, {
          port: options.port,
          host,
          portVariable: 'BOARD_PORT',
          hostVariable: 'BOARD_HOST',
        });
      })()),
    close: () =>
      (closing ??= (async () => {
        await starting?.catch(() => undefined);
        await app.close();
      })()),
    ready: async () => {
      const results = await Promise.all(Object.values(checks).map((c) => c().catch(() => false)));
      return results.every(Boolean);
    },
  };
}
