import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { faultUpdateSchema, type FaultUpdate } from './faults.ts';
import type { StandInStats } from './state.ts';

/** What the admin routes drive: the same operations the stand-in object offers. */
export interface AdminOperations {
  stats(): StandInStats;
  calls(): unknown;
  orders(): unknown;
  faults(): unknown;
  setFaults(update: FaultUpdate): unknown;
  addRequests(count: number, atMs?: number): { requestId: number }[];
  recordings(): unknown;
  reset(): void;
}

const addRequestsSchema = z.strictObject({
  count: z.int().min(1).max(10_000).default(1),
  /** Creation instant (ISO 8601); now by default. */
  at: z.iso.datetime({ offset: true }).optional(),
});

const invalid = (reply: FastifyReply, error: z.ZodError) =>
  reply.code(400).send({
    success: false,
    message: 'invalid admin body',
    errors: error.issues.map((i) => ({ field: i.path.map(String).join('.'), reason: i.message })),
  });

/**
 * `/__sandbox/*` on the stand-in's own port: inspect what arrived, inject faults, add journal
 * requests, reset. Never counted, never rate-limited.
 */
export function registerAdminRoutes(app: FastifyInstance, ops: AdminOperations): void {
  const config = { admin: true };
  app.get('/__sandbox', { config }, async () => ({
    routes: [
      'GET /__sandbox/stats',
      'GET /__sandbox/calls',
      'GET /__sandbox/orders',
      'GET /__sandbox/recordings',
      'GET /__sandbox/faults',
      'POST /__sandbox/faults {errorShare, errorStatus, hangShare, slowShare, slowMs, nextStatuses, refuseOrders, refuseOrdersInOk, refuseMessage, naming, stormMs, stormRetryAfterSeconds, clear}',
      'POST /__sandbox/requests {count, at}',
      'POST /__sandbox/reset',
    ],
  }));
  app.get('/__sandbox/stats', { config }, async () => ops.stats());
  app.get('/__sandbox/calls', { config }, async () => ({ calls: ops.calls() }));
  app.get('/__sandbox/orders', { config }, async () => ({ orders: ops.orders() }));
  app.get('/__sandbox/faults', { config }, async () => ops.faults());
  app.get('/__sandbox/recordings', { config }, async () => ops.recordings());
  app.post('/__sandbox/faults', { config }, async (request, reply) => {
    const parsed = faultUpdateSchema.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    return ops.setFaults(parsed.data);
  });
  app.post('/__sandbox/requests', { config }, async (request, reply) => {
    const parsed = addRequestsSchema.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    const at = parsed.data.at === undefined ? undefined : Date.parse(parsed.data.at);
    const added = ops.addRequests(parsed.data.count, at);
    return { added: added.length, requestIds: added.map((r) => r.requestId) };
  });
  app.post('/__sandbox/reset', { config }, async () => {
    ops.reset();
    return { ok: true };
  });
}
