import type {
  BeforeHook,
  BeforeHookResult,
  ErrorTranslationKey,
  HookContext,
} from '@bull-board/api/typings/app';

/** The state of one job (`Queue.getJobState`: `failed`, `completed`, …, `unknown`). */
export type JobStateLookup = (queueName: string, jobId: string) => Promise<string | undefined>;

/** A refusal reason, or undefined to let the action through. */
type Rule = (ctx: HookContext, jobState: JobStateLookup | undefined) => Promise<string | undefined>;

const param = (ctx: HookContext, name: string): string | undefined => {
  const value = (ctx.request.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

const stateOfJob = async (ctx: HookContext, jobState: JobStateLookup | undefined) => {
  const queueName = param(ctx, 'queueName');
  const jobId = param(ctx, 'jobId');
  return queueName && jobId && jobState ? jobState(queueName, jobId) : undefined;
};

const allow: Rule = async () => undefined;
const refuse =
  (why: string): Rule =>
  async () =>
    why;

const DELIVERED_TWICE = 'retrying a delivered item would send it to Calltouch a second time';
const STALLS = 'a paused queue stops deliveries; Touchline pauses by itself (points budget)';
const DROPS = 'it would remove items that were never delivered';
const SCHEDULING = "delays and priorities are Touchline's own (backoff, 429 pauses, points budget)";

/**
 * Every write route of @bull-board/api 9.10 (`dist/routes.js`, and `buildHistoryRoutes` when a
 * history provider is configured — Touchline configures none) and what a writable board does
 * with it. Only what cannot lose an item passes: retrying a parked (failed) item, promoting a
 * delayed one, removing delivered (completed) ones — Calltouch has those, and de-duplication
 * does not depend on them (the seen-sets of packages/calls/src/enqueue-calls.ts and
 * packages/leads/src/enqueue-leads.ts outlive them). Everything else could drop an undelivered
 * item (issue 12 item 3: a `clean/failed` deleted parked calls whose callids were already
 * seen, so no poll ever read them again), stall a flow, reorder it, or inject an unvalidated
 * item. A route not listed here (a newer Bull Board) is refused; packages/board/test checks
 * this table against the installed version.
 */
export const WRITE_ROUTE_RULES: Readonly<Record<string, Rule>> = {
  'put /api/queues/:queueName/retry/:queueStatus': async (ctx) =>
    param(ctx, 'queueStatus') === 'failed' ? undefined : DELIVERED_TWICE,
  'put /api/queues/:queueName/:jobId/retry': async (ctx, jobState) => {
    const state = await stateOfJob(ctx, jobState);
    if (state === 'failed') return undefined;
    return state === 'completed' ? DELIVERED_TWICE : 'only a parked (failed) item can be retried';
  },
  'put /api/queues/:queueName/promote': allow,
  'put /api/queues/:queueName/:jobId/promote': allow,
  'put /api/queues/:queueName/clean/:queueStatus': async (ctx) =>
    param(ctx, 'queueStatus') === 'completed' ? undefined : DROPS,
  // Exactly `completed`: an unknown id is refused too, so that no item can take that id between
  // this check and the removal.
  'put /api/queues/:queueName/:jobId/clean': async (ctx, jobState) =>
    (await stateOfJob(ctx, jobState)) === 'completed' ? undefined : DROPS,

  'put /api/queues/pause': refuse(STALLS),
  'put /api/queues/resume': refuse(STALLS),
  'put /api/queues/:queueName/pause': refuse(STALLS),
  'put /api/queues/:queueName/resume': refuse(STALLS),
  'put /api/queues/:queueName/empty': refuse(DROPS),
  'put /api/queues/:queueName/obliterate': refuse(DROPS),
  'put /api/queues/:queueName/:jobId/remove-unprocessed-children': refuse(DROPS),
  'post /api/queues/:queueName/add': refuse(
    'items enter through the poller, the CRM listener or the leads export',
  ),
  'patch /api/queues/:queueName/:jobId/update-data': refuse(
    'editing an item bypasses its validation; fix the source and replay instead',
  ),
  'patch /api/queues/:queueName/:jobId/delay': refuse(SCHEDULING),
  'patch /api/queues/:queueName/:jobId/priority': refuse(SCHEDULING),
  'put /api/queues/:queueName/concurrency': refuse(
    "Calltouch's rate is held by Touchline's own limiter (CALLTOUCH_RATE_LIMIT)",
  ),
  'put /api/queues/:queueName/rate-limit': refuse(
    "Calltouch's rate is held by Touchline's own limiter (CALLTOUCH_RATE_LIMIT)",
  ),
  'put /api/queues/:queueName/rate-limit/release': refuse(
    'a rate limit after a 429 protects the whole fleet (docs/architecture.md)',
  ),
  'put /api/queues/:queueName/job-schedulers/:schedulerId/remove': refuse(
    'schedules belong to the roles that create them',
  ),
  'patch /api/queues/:queueName/job-schedulers/:schedulerId': refuse(
    'schedules belong to the roles that create them',
  ),
  'put /api/queues/:queueName/job-schedulers/:schedulerId/run': refuse(
    'items enter through the poller, the CRM listener or the leads export',
  ),
  'post /api/metrics/history/purge': refuse('history is not kept by the board'),
};

const forbidden = (
  message: string,
  errorKey: ErrorTranslationKey = 'ERRORS.FORBIDDEN',
): BeforeHookResult => ({ allow: false, status: 403, errorKey, message });

/**
 * Bull Board's `before` hook. Reads (GET) always pass. Read-only (BOARD_READ_ONLY, the
 * default): every change is refused at the API too, not only hidden in the UI. Writable: only
 * the actions {@link WRITE_ROUTE_RULES} allows, each refusal a 403 with its reason.
 */
export function boardGuard(readOnly: boolean, jobState?: JobStateLookup): BeforeHook {
  return async (ctx) => {
    const method = ctx.method.toLowerCase();
    if (method === 'get') return { allow: true };
    if (readOnly) return forbidden('read-only board (BOARD_READ_ONLY)', 'ERRORS.QUEUE_READ_ONLY');
    const rule = WRITE_ROUTE_RULES[`${method} ${ctx.route}`];
    const why = rule ? await rule(ctx, jobState) : 'not an action Touchline allows from the board';
    return why === undefined ? { allow: true } : forbidden(why);
  };
}
