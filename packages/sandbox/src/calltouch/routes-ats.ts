import type { FastifyInstance } from 'fastify';
import { checkCalls, checkTelemirfact } from './calls-validation.ts';
import { rejected, unauthorized, type StandInContext } from './context.ts';

type AtsRequest = {
  Params: { atsCode: string };
  Querystring: Record<string, string | undefined>;
};

/**
 * The PBX call import at `/event-service/platform/{ATS_CODE}/inbound-call?apikey=…`:
 * POST `{calls:[…]}` (pbx-batch) answers `{"logId": n}`; GET `model=telemirfact` (pbx-single)
 * answers a bare number, as the document's example does.
 */
export function registerAtsRoutes(app: FastifyInstance, ctx: StandInContext): void {
  const path = '/event-service/platform/:atsCode/inbound-call';
  const authorized = (req: {
    params: { atsCode: string };
    query: Record<string, string | undefined>;
  }) =>
    req.params.atsCode === ctx.credentials.atsCode &&
    req.query['apikey'] === ctx.credentials.atsToken;

  app.post<AtsRequest>(path, { config: { endpoint: 'calls_import' } }, async (request, reply) => {
    if (!authorized(request)) return unauthorized(reply, 'unknown PBX login or apikey');
    const checked = checkCalls(request.body);
    if (!checked.ok) return rejected(reply, checked.message, checked.issues, ctx.faults().naming);
    ctx.state.receiveCalls(checked.items, 'pbx-batch', new Date());
    ctx.accepted(checked.items);
    ctx.state.spend('calls_import');
    return reply.code(200).send({ logId: ctx.nextLogId() });
  });

  app.get<AtsRequest>(path, { config: { endpoint: 'calls_import' } }, async (request, reply) => {
    if (!authorized(request)) return unauthorized(reply, 'unknown PBX login or apikey');
    const checked = checkTelemirfact(request.query);
    if (!checked.ok) return rejected(reply, checked.message, checked.issues, ctx.faults().naming);
    ctx.state.receiveCalls(checked.items, 'pbx-single', new Date());
    ctx.accepted(checked.items);
    ctx.state.spend('calls_import');
    return reply.code(200).type('application/json').send(String(ctx.nextLogId()));
  });
}
