import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { createAddressAllowList, createSecretCheck, type AddressBlock } from '@touchline/http';
import type { Logger } from '@touchline/logger';
import { eventMetrics, type Registry } from '@touchline/metrics';

export interface McnEventRouteOptions {
  /** MCN_WEBHOOK_SECRET; unset: every event is refused (the poll alone reads). */
  readonly secret: string | undefined;
  /** MCN_WEBHOOK_ALLOW_CIDRS: the addresses events may come from; unset: any. */
  readonly allow?: readonly AddressBlock[] | undefined;
  /** Asks the poller to read the call log now (fire and forget; it coalesces). */
  readonly read: () => Promise<void>;
  readonly registry: Registry;
  readonly logger: Logger;
}

/** Largest event body: MCN's events are a few hundred bytes. */
const MAX_EVENT_BYTES = 16 * 1024;

/** Events after which the call log has something new: a call to an extension ended. */
const READ_ON = new Set([
  'onincallingend',
  'onincallingmissed',
  'onoutcallingend',
  'onoutcallingmissed',
  'inboundcallend',
]);

/**
 * What an MCN VPBX event must carry to be believed: the secret. Everything else — the call id,
 * the numbers — is not trusted beyond "read now" (whether `call_id` is the log's `callid` is
 * not documented): the poll stays the source of truth.
 */
const eventSchema = z.looseObject({
  secret: z.string().max(1024),
  event_type: z.string().max(100).optional(),
});

/**
 * `POST /v1/mcn/events` (docs/calls.md): MCN's VPBX webhooks, JSON with the secret in the body.
 * An authentic call-end or missed-call event asks the poller to read today's log at once; any
 * other authentic event is acknowledged and ignored; the rest is 401. Always a fast answer:
 * the read happens elsewhere, and a burst of events makes one read.
 */
export function registerMcnEventRoute(app: FastifyInstance, options: McnEventRouteOptions): void {
  const counter = eventMetrics(options.registry).events;
  const log = options.logger.child({ component: 'mcn-events' });
  const sameSecret = options.secret ? createSecretCheck(options.secret) : () => false;
  const allowed = options.allow?.length ? createAddressAllowList(options.allow) : () => true;
  const refuse = (reply: FastifyReply) => {
    counter.inc({ source: 'mcn', outcome: 'unauthorized' });
    return reply.code(401).header('connection', 'close').send({ error: 'unauthorized' });
  };

  // A context of its own: its JSON parser (small bodies) leaves the other routes' parsers alone.
  void app.register(async (events) => {
    events.removeAllContentTypeParsers();
    const parseJson = (
      _req: unknown,
      body: string | Buffer,
      done: (err: Error | null, value?: unknown) => void,
    ) => {
      try {
        done(null, JSON.parse(body.toString()) as unknown);
      } catch {
        done(null, undefined);
      }
    };
    const limits = { parseAs: 'string' as const, bodyLimit: MAX_EVENT_BYTES };
    events.addContentTypeParser('application/json', limits, parseJson);
    events.addContentTypeParser(/^application\/[\w.-]+\+json$/, limits, parseJson);
    events.post('/v1/mcn/events', {
      // The source is checked before the body is read.
      onRequest: async (request, reply) => {
        if (!allowed(request.ip)) return refuse(reply);
      },
      handler: async (request, reply) => {
        const event = eventSchema.safeParse(request.body);
        if (!event.success || !sameSecret(event.data.secret)) return refuse(reply);
        const type = (event.data.event_type ?? '').toLowerCase();
        if (!READ_ON.has(type)) {
          counter.inc({ source: 'mcn', outcome: 'ignored' });
          return reply.code(200).send({ ok: true, read: false });
        }
        counter.inc({ source: 'mcn', outcome: 'accepted' });
        options.read().catch((err: unknown) =>
          // Redis cannot take the signal now: the next poll reads anyway.
          log.debug({ err }, 'could not ask for a read; the poll will read'),
        );
        return reply.code(200).send({ ok: true, read: true });
      },
    });
  });
}
