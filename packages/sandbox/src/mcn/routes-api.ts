import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';

/** The API's largest page, as MCN's. */
export const MAX_LIMIT = 1000;

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((value) => DateTime.fromISO(value).isValid, 'is not a date');

const callLogQuery = z
  .object({
    date_from: day,
    date_to: day,
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(MAX_LIMIT),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .refine((q) => q.date_from <= q.date_to, {
    message: 'date_from is after date_to',
    path: ['date_to'],
  });

export type CallLogQuery = z.output<typeof callLogQuery>;

/** What the API routes need from the stand-in. */
export interface ApiOperations {
  readonly token: string;
  readonly accountId: string;
  readonly vpbxId: string;
  /** false: serve; true: 503; 'timeout': hold the request unanswered. */
  down(): boolean | 'timeout';
  hold(reply: FastifyReply): void;
  callLog(query: CallLogQuery): unknown[];
  count(outcome: RequestOutcome, query?: CallLogQuery, items?: number): void;
}

export type RequestOutcome =
  'ok' | 'unauthorized' | 'notFound' | 'badRequest' | 'unavailable' | 'held';

const error = (reply: FastifyReply, code: number, description: string) =>
  reply.code(code).send({ errors: { code, description } });

/** `GET /v2/rest/account/{account_id}/vpbx/{vpbx_id}/call_log` with MCN's auth and paging. */
export function registerApiRoutes(app: FastifyInstance, ops: ApiOperations): void {
  app.get(
    '/v2/rest/account/:accountId/vpbx/:vpbxId/call_log',
    async (request: FastifyRequest<{ Params: { accountId: string; vpbxId: string } }>, reply) => {
      const down = ops.down();
      if (down === 'timeout') {
        ops.count('held');
        ops.hold(reply);
        return reply;
      }
      if (down) {
        ops.count('unavailable');
        return reply
          .header('retry-after', '5')
          .code(503)
          .send({ errors: { code: 503, description: 'Service Unavailable' } });
      }
      const auth = request.headers.authorization ?? '';
      const [scheme, credential] = auth.split(/\s+/, 2);
      if (scheme?.toLowerCase() !== 'bearer' || credential !== ops.token) {
        ops.count('unauthorized');
        return error(reply, 401, 'Unauthorized');
      }
      if (request.params.accountId !== ops.accountId || request.params.vpbxId !== ops.vpbxId) {
        ops.count('notFound');
        return error(reply, 404, 'Account or VPBX not found');
      }
      const query = callLogQuery.safeParse(request.query);
      if (!query.success) {
        ops.count('badRequest');
        const detail = query.error.issues
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ');
        return error(reply, 400, detail);
      }
      const items = ops.callLog(query.data);
      ops.count('ok', query.data, items.length);
      return { items };
    },
  );
}
