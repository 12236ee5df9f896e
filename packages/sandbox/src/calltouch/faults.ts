import { z } from 'zod';

/**
 * How a refusal names its bad items, in a 400 and in a 2xx that carries errors. Calltouch's
 * error bodies are not documented (docs/crm-orders.md), so Touchline must cope with each:
 * `both` (index and orderNumber/referenceId, the default), `index` only, `id` only, or `none`
 * (a bare message).
 */
export const itemNamingSchema = z.enum(['both', 'index', 'id', 'none']);
export type ItemNaming = z.output<typeof itemNamingSchema>;

const orderNumbers = z.array(z.string().min(1)).max(10_000);

/**
 * Fault injection of the Calltouch stand-in: shares of requests that answer 5xx, hang until
 * the client gives up, or come late; a "429 storm" in which every request is refused; a script
 * of statuses for the next requests; and per-order refusals, in a 400 or inside a 200.
 */
export const faultSettingsSchema = z.strictObject({
  /** Share (0..1) of requests answered with `errorStatus`. */
  errorShare: z.number().min(0).max(1),
  errorStatus: z.int().min(500).max(599),
  /** Share of requests that never get an answer (the client must time out). */
  hangShare: z.number().min(0).max(1),
  /** Share of requests delayed by an extra `slowMs`. */
  slowShare: z.number().min(0).max(1),
  slowMs: z.int().min(0).max(600_000),
  /**
   * Statuses the next requests answer with, one per request in order of arrival (0: no fault
   * for that request), before the shares are drawn: a deterministic 5xx for tests.
   */
  nextStatuses: z
    .array(
      z.int().refine((s) => s === 0 || (s >= 400 && s <= 599), 'expected 0 or a status 400..599'),
    )
    .max(10_000),
  /** Orders refused (create and update) with a 400 that refuses the whole request. */
  refuseOrders: orderNumbers,
  /**
   * Orders refused inside a 200: the other orders of the request are kept and the answer
   * carries `errors` for these — the "2xx with errors" Touchline must not take for a success.
   */
  refuseOrdersInOk: orderNumbers,
  /** The reason given for `refuseOrders` and `refuseOrdersInOk`. */
  refuseMessage: z.string().min(1).max(500),
  naming: itemNamingSchema,
});
export type FaultSettings = z.output<typeof faultSettingsSchema>;

export const NO_FAULTS: FaultSettings = {
  errorShare: 0,
  errorStatus: 503,
  hangShare: 0,
  slowShare: 0,
  slowMs: 2_000,
  nextStatuses: [],
  refuseOrders: [],
  refuseOrdersInOk: [],
  refuseMessage: 'sandbox: order refused (fault injection)',
  naming: 'both',
};

/** Body of `POST /__sandbox/faults` and argument of `setFaults`: any subset, or a clear. */
export const faultUpdateSchema = faultSettingsSchema.partial().extend({
  /** Start a storm: every request gets 429 for the next N ms (0 ends a storm). */
  stormMs: z.int().min(0).max(3_600_000).optional(),
  /** Retry-After the storm answers with, seconds (default 1). */
  stormRetryAfterSeconds: z.int().min(0).max(3600).optional(),
  /** Clear every fault first (then apply the other fields). */
  clear: z.boolean().optional(),
});
export type FaultUpdate = z.input<typeof faultUpdateSchema>;

export interface FaultState {
  settings: FaultSettings;
  stormUntilMs: number;
  stormRetryAfterSeconds: number;
}

export function applyFaultUpdate(
  state: FaultState,
  update: FaultUpdate,
  nowMs: number,
): FaultState {
  const parsed = faultUpdateSchema.parse(update);
  const { stormMs, stormRetryAfterSeconds, clear, ...settings } = parsed;
  const start: FaultState = clear
    ? { settings: NO_FAULTS, stormUntilMs: 0, stormRetryAfterSeconds: 1 }
    : state;
  const defined = Object.fromEntries(
    Object.entries(settings).filter(([, v]) => v !== undefined),
  ) as Partial<FaultSettings>;
  return {
    settings: { ...start.settings, ...defined },
    stormUntilMs: stormMs === undefined ? start.stormUntilMs : stormMs === 0 ? 0 : nowMs + stormMs,
    stormRetryAfterSeconds: stormRetryAfterSeconds ?? start.stormRetryAfterSeconds,
  };
}

export type FaultDraw =
  | { kind: 'none' }
  | { kind: 'error'; status: number }
  | { kind: 'hang' }
  | { kind: 'slow'; ms: number };

/**
 * Decides the fault of one request: the next scripted status if any is left (`script` is the
 * rest of the script, for the caller to keep), else one draw, so shares add up as configured.
 */
export function drawFault(
  settings: FaultSettings,
  random: () => number,
): FaultDraw & { script?: number[] } {
  const [scripted, ...script] = settings.nextStatuses;
  if (scripted !== undefined) {
    return scripted === 0 ? { kind: 'none', script } : { kind: 'error', status: scripted, script };
  }
  const r = random();
  if (r < settings.hangShare) return { kind: 'hang' };
  if (r < settings.hangShare + settings.errorShare)
    return { kind: 'error', status: settings.errorStatus };
  if (r < settings.hangShare + settings.errorShare + settings.slowShare) {
    return { kind: 'slow', ms: settings.slowMs };
  }
  return { kind: 'none' };
}
