import type { BeforeHook, HookContext } from '@bull-board/api/typings/app';

/**
 * Board actions Touchline refuses even when the board is writable, each with the reason an
 * operator sees. Items enter only through the producers (de-duplication keys, atomic
 * enqueue) and leave only by delivery or parking: nothing is dropped silently (docs/architecture.md).
 */
const REFUSED: readonly { method: string; route: RegExp; why: string }[] = [
  {
    method: 'post',
    route: /\/add$/,
    why: 'items enter through the poller, the CRM listener or the leads export',
  },
  {
    method: 'patch',
    route: /\/update-data$/,
    why: 'editing an item bypasses its validation; fix the source and replay instead',
  },
  { method: 'put', route: /\/empty$/, why: 'emptying a queue would drop pending items' },
  { method: 'put', route: /\/obliterate$/, why: 'obliterating a queue would drop every item' },
  {
    method: 'put',
    route: /\/(concurrency|rate-limit)$/,
    why: "Calltouch's rate is held by Touchline's own limiter (CALLTOUCH_RATE_LIMIT)",
  },
];

const param = (ctx: HookContext, name: string): string | undefined => {
  const value = (ctx.request.params as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

const isCompletedRetry = (ctx: HookContext) =>
  ctx.method.toLowerCase() === 'put' &&
  /\/retry\/:queueStatus$/.test(ctx.route) &&
  param(ctx, 'queueStatus') === 'completed';

/** The state of one job (`Queue.getJobState`), to refuse a retry of a delivered item. */
export type JobStateLookup = (queueName: string, jobId: string) => Promise<string | undefined>;

/**
 * Bull Board's `before` hook: in read-only mode only reads pass (Bull Board hides the buttons;
 * this refuses the API calls too), otherwise the actions above are refused with a 403, and so
 * is retrying an item that was delivered (it would reach Calltouch twice).
 */
export function boardGuard(readOnly: boolean, jobState?: JobStateLookup): BeforeHook {
  return async (ctx) => {
    const method = ctx.method.toLowerCase();
    if (method === 'get') return { allow: true };
    if (readOnly) {
      return {
        allow: false,
        status: 403,
        errorKey: 'ERRORS.QUEUE_READ_ONLY',
        message: 'read-only board',
      };
    }
    if (isCompletedRetry(ctx)) {
      return {
        allow: false,
        status: 403,
        errorKey: 'ERRORS.STATUS_NOT_RETRIABLE',
        message: 'retrying delivered items would send them to Calltouch twice',
      };
    }
    if (method === 'put' && /\/:jobId\/retry$/.test(ctx.route) && jobState) {
      const queueName = param(ctx, 'queueName');
      const jobId = param(ctx, 'jobId');
      if (queueName && jobId && (await jobState(queueName, jobId)) === 'completed') {
        return {
          allow: false,
          status: 403,
          errorKey: 'ERRORS.JOB_NOT_RETRIABLE',
          message: 'this item was delivered; retrying it would send it to Calltouch twice',
        };
      }
    }
    const refused = REFUSED.find((r) => r.method === method && r.route.test(ctx.route));
    if (refused) {
      return { allow: false, status: 403, errorKey: 'ERRORS.FORBIDDEN', message: refused.why };
    }
    return { allow: true };
  };
}
