import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

/** What the admin routes drive: the same operations the stand-in object offers in code. */
export interface AdminOperations {
  stats(): unknown;
  setDown(down: boolean | 'timeout'): void;
  addCalls(count: number, opts: { at?: Date; inboundOnly?: boolean }): unknown[];
}

const downSchema = z.strictObject({ down: z.union([z.boolean(), z.literal('timeout')]) });
const addCallsSchema = z.strictObject({
  count: z.int().min(1).max(100_000).default(1),
  /** Start instant (ISO 8601 with offset); by default the calls end now. */
  at: z.iso.datetime({ offset: true }).optional(),
  inboundOnly: z.boolean().optional(),
});

const invalid = (reply: FastifyReply, error: z.ZodError) =>
  reply.code(400).send({
    message: 'invalid admin body',
    errors: error.issues.map((i) => ({ field: i.path.map(String).join('.'), reason: i.message })),
  });

/** `/__sandbox/*`: inspect, take the API down, add calls. Never authenticated, never counted. */
export function registerAdminRoutes(app: FastifyInstance, ops: AdminOperations): void {
  app.get('/__sandbox', async () => ({
    routes: [
      'GET /__sandbox/stats',
      "POST /__sandbox/down {down: true | false | 'timeout'}",
      'POST /__sandbox/calls {count, at?, inboundOnly?}',
    ],
  }));
  app.get('/__sandbox/stats', async () => ops.stats());
  app.post('/__sandbox/down', async (request, reply) => {
    const parsed = downSchema.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    ops.setDown(parsed.data.down);
    return { down: parsed.data.down };
  });
  app.post('/__sandbox/calls', async (request, reply) => {
    const parsed = addCallsSchema.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    const { count, at, inboundOnly } = parsed.data;
    const calls = ops.addCalls(count, {
      ...(at === undefined ? {} : { at: new Date(at) }),
      ...(inboundOnly === undefined ? {} : { inboundOnly }),
    });
    return { added: calls.length, calls };
  });
}
