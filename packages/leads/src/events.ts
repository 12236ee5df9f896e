import type { FastifyInstance } from 'fastify';
import { createSecretCheck } from '@touchline/http';
import type { Logger } from '@touchline/logger';
import { eventMetrics, type Registry } from '@touchline/metrics';

export interface CalltouchEventRouteOptions {
  /** CALLTOUCH_WEBHOOK_SECRET; unset: every event is refused (the journal poll alone reads). */
  readonly secret: string | undefined;
  /** Asks the leads export to read the journal now (it coalesces, and respects the budget). */
  readonly read: () => Promise<void>;
  readonly registry: Registry;
  readonly logger: Logger;
}

/** Largest event body read: Calltouch sends a handful of URL-encoded fields. */
const MAX_EVENT_BYTES = 64 * 1024;

/**
 * `GET|POST /v1/calltouch/events?secret=…` (docs/leads.md): Calltouch's webhook on each new
 * lead (URL-encoded fields, no authentication of its own: the secret is in the URL you give
 * Calltouch). An authentic event asks the leads export to read the requests journal now; what
 * the event says is not trusted beyond that. The secret is checked before the body is read, and
 * the body — whatever its type — is read only to be bounded and dropped.
 */
export function registerCalltouchEventRoute(
  app: FastifyInstance,
  options: CalltouchEventRouteOptions,
): void {
  const counter = eventMetrics(options.registry).events;
  const log = options.logger.child({ component: 'calltouch-events' });
  const sameSecret = options.secret ? createSecretCheck(options.secret) : () => false;

  void app.register(async (events) => {
    events.removeAllContentTypeParsers();
    events.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: MAX_EVENT_BYTES },
      (_req, _body, done) => done(null, undefined),
    );
    events.route({
      method: ['GET', 'POST'],
      url: '/v1/calltouch/events',
      onRequest: async (request, reply) => {
        const secret = (request.query as Record<string, unknown> | undefined)?.['secret'];
        if (!sameSecret(secret)) {
          counter.inc({ source: 'calltouch', outcome: 'unauthorized' });
          return reply.code(401).header('connection', 'close').send({ error: 'unauthorized' });
        }
      },
      handler: async (_request, reply) => {
        counter.inc({ source: 'calltouch', outcome: 'accepted' });
        options
          .read()
          .catch((err: unknown) =>
            log.debug({ err }, 'could not ask for a read; the journal poll will read'),
          );
        return reply.code(200).send({ ok: true });
      },
    });
  });
}
