import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkCalls } from './calls-validation.ts';
import { header, named, rejected, unauthorized, type StandInContext } from './context.ts';
import { journalQuerySchema, selectRequests } from './journal.ts';
import { checkOrders } from './orders-validation.ts';

/**
 * The API host's paths: lead import, orders create/update (headers Access-Token and SiteId)
 * and the requests journal export (query clientApiId and siteId).
 */
export function registerApiRoutes(app: FastifyInstance, ctx: StandInContext): void {
  const { credentials } = ctx;
  const headersOk = (request: FastifyRequest) =>
    header(request.headers['access-token']) === credentials.apiToken &&
    header(request.headers['siteid']) === credentials.siteId;

  app.post(
    '/lead-service/v1/api/call/import',
    { config: { endpoint: 'calls_import' } },
    async (request, reply) => {
      if (!headersOk(request)) return unauthorized(reply, 'Access-Token or SiteId');
      const checked = checkCalls(request.body);
      if (!checked.ok) return rejected(reply, checked.message, checked.issues, ctx.faults().naming);
      ctx.state.receiveCalls(checked.items, 'lead-import', new Date());
      ctx.accepted(checked.items);
      ctx.state.spend('calls_import');
      return reply.code(200).send({ success: true, data: { logId: ctx.nextLogId() } });
    },
  );

  for (const action of ['create', 'update'] as const) {
    const endpoint = action === 'create' ? 'orders_create' : 'orders_update';
    app.post(
      `/lead-service/v1/api/client-order/${action}`,
      { config: { endpoint } },
      async (request, reply) => {
        if (!headersOk(request)) return unauthorized(reply, 'Access-Token or SiteId');
        const faults = ctx.faults();
        const checked = checkOrders(request.body, action, ctx.state.hasOrder, {
          orderNumbers: new Set(faults.refuseOrders),
          reason: faults.refuseMessage,
        });
        if (!checked.ok) return rejected(reply, checked.message, checked.issues, faults.naming);
        // A 2xx that carries errors: the orders refused inside it are not kept, the others are.
        const inOk = new Set(faults.refuseOrdersInOk);
        const kept = checked.items.filter((o) => !inOk.has(o.orderNumber));
        ctx.state.applyOrders(kept, action, new Date());
        ctx.state.spend(endpoint);
        const orders = kept.map((o) => ({ orderNumber: o.orderNumber }));
        if (kept.length === checked.items.length)
          return reply.code(200).send({ success: true, data: { orders } });
        if (faults.naming === 'none')
          return reply.code(200).send({ success: false, message: faults.refuseMessage });
        const errors = checked.items.flatMap((o, index) =>
          inOk.has(o.orderNumber)
            ? [
                named(
                  { index, orderNumber: o.orderNumber, reason: faults.refuseMessage },
                  faults.naming,
                ),
              ]
            : [],
        );
        return reply.code(200).send({ errors, data: { orders } });
      },
    );
  }

  app.get(
    '/calls-service/RestAPI/requests',
    { config: { endpoint: 'requests_export' } },
    async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      if (query['clientApiId'] !== credentials.apiToken || query['siteId'] !== credentials.siteId) {
        return unauthorized(reply, 'clientApiId or siteId');
      }
      const parsed = journalQuerySchema.safeParse(query);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({
          field: i.path.map(String).join('.'),
          reason: i.message,
        }));
        return rejected(reply, 'invalid query', issues);
      }
      const selected = selectRequests(ctx.journal.all(), parsed.data, ctx.timeZone);
      if (!selected.ok) return rejected(reply, selected.message, []);
      const withTags = query['withRequestTags'] === 'true';
      const records = selected.records.map((r) =>
        withTags
          ? { ...r, RequestTags: [{ category: '', type: 'AUTO-CT', names: ['Заявка с сайта'] }] }
          : r,
      );
      ctx.state.spend('requests_export');
      return reply.code(200).send(records);
    },
  );
}
