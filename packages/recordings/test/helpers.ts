import { request as httpRequest, type IncomingMessage, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { createMcnClient } from '@touchline/mcn';
import { createRegistry, type Registry } from '@touchline/metrics';
import { createMcnStandIn, type McnStandIn, type McnStandInOptions } from '@touchline/sandbox';
import { memoryLogger } from '@touchline/testing';
import {
  createRecordingLinker,
  registerRecordingRoutes,
  type RecordingLinker,
  type RecordingRoutes,
  type RecordingRoutesOptions,
  type SigningKeys,
} from '../src/index.ts';

/** Unmistakable, so a grep of logs, metrics and URLs cannot miss it. */
export const MCN_TOKEN = 'mcn-token-7f3a9c1e5b2d';
export const KEYS: SigningKeys = {
  currentVersion: 'v1',
  keys: new Map([['v1', 'recordings-test-key-0123456789abcdef']]),
};

export interface Proxy {
  readonly mcn: McnStandIn;
  readonly app: FastifyInstance;
  readonly routes: RecordingRoutes;
  readonly registry: Registry;
  readonly base: string;
  readonly linker: RecordingLinker;
  /** Log lines as written. */
  logText(): string;
  /** Answered calls ending now that have a recording. */
  recordedCalls(count?: number): string[];
  close(): Promise<void>;
}

/**
 * The real parts on loopback: the sandbox's MCN stand-in, the MCN client, and a Fastify app
 * with the recording routes, each on a port of its own.
 */
export async function startProxy(
  options: {
    mcn?: McnStandInOptions;
    routes?: Partial<RecordingRoutesOptions>;
    token?: string;
    idleMs?: number;
  } = {},
): Promise<Proxy> {
  const mcn = await createMcnStandIn({
    token: MCN_TOKEN,
    historyDays: 0,
    liveCallsPerMinute: 0,
    malformedShare: 0,
    recordingNotReadyShare: 0,
    recordingMissingShare: 0,
    ...options.mcn,
  });
  const source = createMcnClient({
    apiUrl: mcn.url,
    token: options.token ?? MCN_TOKEN,
    accountId: mcn.accountId,
    vpbxId: mcn.vpbxId,
    recordingTimeouts: { idleMs: options.idleMs ?? 10_000, responseMs: 5_000 },
  });
  const registry = createRegistry();
  const log = memoryLogger('debug');
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const routes = registerRecordingRoutes(app, {
    source,
    signingKeys: KEYS,
    registry,
    logger: log.logger,
    retryDelaysMs: [50, 50, 50],
    ...options.routes,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    mcn,
    app,
    routes,
    registry,
    base,
    linker: createRecordingLinker(base, KEYS),
    logText: () =>
      log
        .lines()
        .map((line) => JSON.stringify(line))
        .join('\n'),
    recordedCalls: (count = 30) =>
      mcn
        .addCalls(count, { inboundOnly: true })
        .filter((call) => call.has_record === 1)
        .map((call) => call.callid),
    async close() {
      await app.close();
      await mcn.close();
    },
  };
}

/** A counter's value for `labels` (0 when absent). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find((v) =>
    Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value),
  );
  return match?.value ?? 0;
}

/** A GET (or HEAD) whose response stays under the test's control: paused, read, destroyed. */
export function open(
  url: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers });
    req.once('response', (res) => resolve({ req, res }));
    req.once('error', reject);
    req.end();
  });
}

/** The first chunk of a body, then the body paused: a listener that stops reading. */
export function firstChunk(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    res.once('data', (chunk: Buffer) => {
      res.pause();
      resolve(chunk);
    });
  });
}

export async function body(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}
