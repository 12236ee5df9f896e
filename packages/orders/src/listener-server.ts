import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from '@touchline/logger';
import { crmMetrics, type Registry } from '@touchline/metrics';
import { isRedisReady } from '@touchline/redis';
import { listenOn, type Component } from '@touchline/runtime';
import { createWebhookAuth } from './auth.ts';
import { withBodyDeadline } from './body-deadline.ts';
import { parseDealsBody } from './deal-schema.ts';
import type { OrderIntake } from './intake.ts';

export interface CrmListenerServerOptions {
  readonly port: number;
  /** Default `0.0.0.0`: the CRM reaches the listener from outside. */
  readonly host?: string;
  /** CRM_WEBHOOK_SECRET. */
  readonly secret: string;
  readonly intake: OrderIntake;
  /** The producer client the intake writes with (readiness). */
  readonly redis: Redis;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Largest body accepted, bytes (default 5 MB: 1,000 deals with room to spare). */
  readonly bodyLimit?: number;
  /** Retry-After of a 503, seconds (default 5). */
  readonly retryAfterSeconds?: number;
  /** Longest wait for Redis before answering 503, ms (default 3,000). */
  readonly intakeTimeoutMs?: number;
  /** Bounds on how slowly a client may send (defaults: {@link DEFAULT_LISTENER_TIMEOUTS}). */
  readonly timeouts?: Partial<ListenerTimeouts>;
  /**
   * Proxies whose X-Forwarded-For is believed for `request.ip` (HTTP_TRUST_PROXY, as Fastify's
   * `trustProxy`); default none.
   */
  readonly trustProxy?: boolean | number | string[];
}

/**
 * How long a client may take to send a request. Without them a client that trickles its body
 * one byte at a time held a connection for 75 s and more (issue 12 item 11; Fastify's default
 * request timeout is none at all).
 */
export interface ListenerTimeouts {
  /** The request line and headers (Node's `headersTimeout`). */
  readonly headersMs: number;
  /** The whole request, headers and body, whatever its rate (Node's `requestTimeout`). */
  readonly requestMs: number;
  /** The body once the headers are in, before the rate allowance (answered 408). */
  readonly bodyMs: number;
  /** Each this many bytes of body add a second to `bodyMs`: 5 MB at 128 KiB/s still passes. */
  readonly bodyMinBytesPerSecond: number;
}

export const DEFAULT_LISTENER_TIMEOUTS: ListenerTimeouts = {
  headersMs: 10_000,
  requestMs: 60_000,
  bodyMs: 5_000,
  bodyMinBytesPerSecond: 64 * 1024,
};

export interface CrmListenerServer extends Component {
  readonly app: FastifyInstance;
  /** The bound port (useful with port 0). */
  port(): number;
}

/**
 * What the content-type parser hands the handler: the raw bytes, unparsed. They are parsed only
 * once the request is authenticated (an HMAC is checked on exactly these bytes).
 */
interface RawJson {
  readonly raw: Buffer;
}
const RAW = Symbol('raw-json');
const isRawJson = (body: unknown): body is RawJson & { [RAW]: true } =>
  typeof body === 'object' && body !== null && RAW in body;

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** Answers that leave a body unread: the connection closes after them rather than drain it. */
const CLOSES = new Set([401, 408, 413]);

class IntakeTimeout extends Error {
  override readonly name = 'IntakeTimeout';
}

/**
 * The CRM webhook service: `POST /v1/orders`, `GET /healthz`, `GET /readyz`. Answers 202 only
 * after every deal of the body is merged and enqueued in Redis; 400 naming every bad field;
 * 401, 413, 415; 503 with Retry-After when Redis cannot take the body (nothing half-accepted:
 * the CRM's retry completes what a failed attempt started, and repeats nothing).
 */
export function createCrmListenerServer(options: CrmListenerServerOptions): CrmListenerServer {
  const { intake, redis, logger } = options;
  const log = logger.child({ component: 'crm-listener' });
  const counter = crmMetrics(options.registry).orders;
  const authorize = createWebhookAuth(options.secret);
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const timeoutMs = options.intakeTimeoutMs ?? 3_000;
  let redisDown = false;

  const timeouts = { ...DEFAULT_LISTENER_TIMEOUTS, ...options.timeouts };

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 5 * 1024 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
    requestTimeout: timeouts.requestMs,
    // A number of hops, as a function: Fastify's types take the other forms as they are.
    trustProxy:
      typeof options.trustProxy === 'number'
        ? (
            (hops: number) => (_address: string, hop: number) =>
              hop < hops
          )(options.trustProxy)
        : (options.trustProxy ?? false),
    // Node checks both timeouts on this interval (default 30 s, which would stretch them).
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: 1_000 },
  });
  // Only JSON; anything else is answered 415 by Fastify. The raw bytes are kept, unparsed.
  app.removeAllContentTypeParsers();
  const keepRaw = (
    _req: FastifyRequest,
    raw: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => done(null, { [RAW]: true, raw: typeof raw === 'string' ? Buffer.from(raw) : raw });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, keepRaw);
  app.addContentTypeParser(/^application\/[\w.-]+\+json$/, { parseAs: 'buffer' }, keepRaw);
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) log.error({ err }, 'request failed');
    if (CLOSES.has(status)) void reply.header('connection', 'close');
    // Bad input never yields a 5xx: Fastify's own 4xx (413, 415, 400) and 408 pass through.
    return reply.code(status).send({ error: status >= 500 ? 'internal' : err.message });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ready = await isRedisReady(redis);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unready' });
  });

  const unavailable = (reply: FastifyReply, err: unknown) => {
    if (!redisDown)
      log.warn(
        { err: { message: (err as Error).message } },
        'redis cannot take deals: answering 503',
      );
    redisDown = true;
    return reply
      .code(503)
      .header('Retry-After', retryAfter)
      .send({ error: 'unavailable', message: 'queue unavailable, retry later' });
  };

  /**
   * One count per refused request: the deals of a body nobody vouched for are neither read
   * nor counted (a 1 MB array used to add 500,000).
   */
  const unauthorized = (reply: FastifyReply) => {
    counter.inc({ outcome: 'unauthorized' }, 1);
    return reply
      .code(401)
      .header('WWW-Authenticate', 'Bearer')
      .header('connection', 'close')
      .send({ error: 'unauthorized' });
  };
  const credentials = (request: FastifyRequest) =>
    [
      first(request.headers.authorization),
      first(request.headers['x-touchline-signature']),
    ] as const;

  app.post('/v1/orders', {
    // Before a byte of the body is read: no credential, a wrong token or a malformed signature
    // is answered at once, and the connection closes instead of draining the body.
    onRequest: async (request, reply) => {
      const verdict = authorize.checkHeaders(...credentials(request));
      if (verdict === 'missing' || verdict === 'wrong') return unauthorized(reply);
    },
    preParsing: async (_request, _reply, payload) =>
      withBodyDeadline(payload, {
        baseMs: timeouts.bodyMs,
        minBytesPerSecond: timeouts.bodyMinBytesPerSecond,
      }),
    handler: (request, reply) => acceptOrders(request, reply),
  });

  const acceptOrders = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body;
    if (!isRawJson(body)) {
      return reply.code(415).send({ error: 'unsupported media type: send application/json' });
    }
    // The signature, if any, on the raw bytes, before JSON.parse spends a cycle on them.
    const [authorization, signature] = credentials(request);
    if (authorize.check(authorization, signature, body.raw) !== 'ok') return unauthorized(reply);
    let json: unknown;
    try {
      json = JSON.parse(body.raw.toString('utf8'));
    } catch (err) {
      counter.inc({ outcome: 'invalid' }, 1);
      return reply.code(400).send({
        error: 'invalid',
        issues: [{ path: '(body)', message: `malformed JSON: ${(err as Error).message}` }],
      });
    }
    const parsed = parseDealsBody(json);
    if (!parsed.ok) {
      counter.inc({ outcome: 'invalid' }, parsed.dealCount);
      return reply.code(400).send({ error: 'invalid', issues: parsed.issues });
    }
    if (redis.status !== 'ready') return unavailable(reply, new Error(`redis ${redis.status}`));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        intake.accept(parsed.deals),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new IntakeTimeout('redis did not answer')), timeoutMs);
        }),
      ]);
    } catch (err) {
      return unavailable(reply, err);
    } finally {
      clearTimeout(timer);
    }
    if (redisDown) log.info('redis takes deals again');
    redisDown = false;
    counter.inc({ outcome: 'accepted' }, parsed.deals.length);
    return reply.code(202).send({ accepted: parsed.deals.length });
  };

  let listening: Promise<unknown> | undefined;
  let closing: Promise<void> | undefined;
  return {
    name: 'crm-listener',
    app,
    port: () => {
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : options.port;
    },
    start: async () => {
      await (listening ??= listenOn(app, {
        port: options.port,
        host: options.host ?? '0.0.0.0',
        portVariable: 'CRM_LISTENER_PORT',
      }));
      log.info({ port: (app.server.address() as { port: number }).port }, 'crm listener listening');
    },
    close: () => (closing ??= app.close()),
    ready: () => isRedisReady(redis),
  };
}
