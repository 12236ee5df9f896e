import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from '@touchline/logger';
import { crmMetrics, type Registry } from '@touchline/metrics';
import { isRedisReady } from '@touchline/redis';
import type { Component } from '@touchline/runtime';
import { createWebhookAuth } from './auth.ts';
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
}

export interface CrmListenerServer extends Component {
  readonly app: FastifyInstance;
  /** The bound port (useful with port 0). */
  port(): number;
}

/** What the content-type parser hands the handler: the raw bytes (for HMAC) and the JSON. */
interface RawJson {
  readonly raw: Buffer;
  readonly json?: unknown;
  readonly malformed?: string;
}
const RAW = Symbol('raw-json');
const isRawJson = (body: unknown): body is RawJson & { [RAW]: true } =>
  typeof body === 'object' && body !== null && RAW in body;

const first = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** Deals a body holds as far as we can tell, for the per-deal counter of refused bodies. */
const dealsIn = (body: RawJson): number => {
  const orders = (body.json as { orders?: unknown } | undefined)?.orders;
  return Array.isArray(orders) ? Math.max(orders.length, 1) : 1;
};

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

  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? 5 * 1024 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
  });
  // Only JSON; anything else is answered 415 by Fastify. The raw bytes are kept for the HMAC.
  app.removeAllContentTypeParsers();
  const parseJson = (
    _req: FastifyRequest,
    raw: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    const buffer = typeof raw === 'string' ? Buffer.from(raw) : raw;
    try {
      const json: unknown = JSON.parse(buffer.toString('utf8'));
      done(null, { [RAW]: true, raw: buffer, json });
    } catch (err) {
      done(null, { [RAW]: true, raw: buffer, malformed: (err as Error).message });
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJson);
  app.addContentTypeParser(/^application\/[\w.-]+\+json$/, { parseAs: 'buffer' }, parseJson);
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) log.error({ err }, 'request failed');
    // Bad input never yields a 5xx: Fastify's own 4xx (413, 415, 400) pass through.
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

  app.post('/v1/orders', async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body;
    if (!isRawJson(body)) {
      return reply.code(415).send({ error: 'unsupported media type: send application/json' });
    }
    const auth = authorize.check(
      first(request.headers.authorization),
      first(request.headers['x-touchline-signature']),
      body.raw,
    );
    if (auth !== 'ok') {
      counter.inc({ outcome: 'unauthorized' }, dealsIn(body));
      return reply.code(401).header('WWW-Authenticate', 'Bearer').send({ error: 'unauthorized' });
    }
    if (body.malformed !== undefined) {
      counter.inc({ outcome: 'invalid' }, 1);
      return reply.code(400).send({
        error: 'invalid',
        issues: [{ path: '(body)', message: `malformed JSON: ${body.malformed}` }],
      });
    }
    const parsed = parseDealsBody(body.json);
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
  });

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
      await (listening ??= app.listen({ port: options.port, host: options.host ?? '0.0.0.0' }));
      log.info({ port: (app.server.address() as { port: number }).port }, 'crm listener listening');
    },
    close: () => (closing ??= app.close()),
    ready: () => isRedisReady(redis),
  };
}
