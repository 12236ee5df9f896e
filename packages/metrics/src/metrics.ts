import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The metrics of docs/metrics.md, in groups. A role creates only the groups of what it does, on a
 * registry it was handed (never prom-client's global one). Each group is created once per
 * registry, so `touchline all` can hand the same registry to every component.
 */

export function createRegistry(defaultLabels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels);
  collectDefaultMetrics({ register: registry });
  return registry;
}

const memo = <T>(build: (registry: Registry) => T) => {
  const cache = new WeakMap<Registry, T>();
  return (registry: Registry): T => {
    let group = cache.get(registry);
    if (!group) {
      group = build(registry);
      cache.set(registry, group);
    }
    return group;
  };
};

export const CALLTOUCH_REQUEST_OUTCOMES = [
  'ok',
  'rate_limited',
  'client_error',
  'server_error',
  'network_error',
] as const;
export type CalltouchRequestOutcome = (typeof CALLTOUCH_REQUEST_OUTCOMES)[number];
export type CalltouchItemOutcome = 'delivered' | 'rejected' | 'duplicate';

/** Calltouch latencies run from tens of milliseconds to the 30 s timeout. */
export const CALLTOUCH_DURATION_BUCKETS = [
  0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 2, 5, 10, 20, 30,
];

export const calltouchMetrics = memo((registry: Registry) => ({
  requests: new Counter({
    name: 'touchline_calltouch_requests_total',
    help: 'Requests sent to Calltouch, by endpoint and outcome.',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  }),
  items: new Counter({
    name: 'touchline_calltouch_items_total',
    help: 'Items (calls, orders) by final outcome at Calltouch; duplicate = re-sent after an unknown outcome.',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  }),
  duration: new Histogram({
    name: 'touchline_calltouch_request_duration_seconds',
    help: 'Duration of Calltouch requests, from departure to answer.',
    labelNames: ['endpoint'] as const,
    buckets: CALLTOUCH_DURATION_BUCKETS,
    registers: [registry],
  }),
  pointsSpent: new Counter({
    name: 'touchline_calltouch_points_spent_total',
    help: 'Calltouch API points spent by this process, by endpoint.',
    labelNames: ['endpoint'] as const,
    registers: [registry],
  }),
}));

/**
 * Why items waited instead of going out, and what a bound on waiting did. `reason`: `busy`
 * (another worker holds the order), `rate_limited` (429s held too long), `budget` (points
 * paused until the next Calltouch day), `calltouch_failing` (not sent: another request of the
 * batch kept failing). `result`: `deferred`, or `parked` when an item met the bound on busy
 * deferrals (packages/orders/src/busy-deferrals.ts) and was parked instead.
 */
export const deferralMetrics = memo((registry: Registry) => ({
  deferrals: new Counter({
    name: 'touchline_deferrals_total',
    help: 'Items deferred without spending an attempt, by flow, reason (busy, rate_limited, budget, calltouch_failing) and result (deferred, or parked when an item passed the bound on busy deferrals).',
    labelNames: ['flow', 'reason', 'result'] as const,
    registers: [registry],
  }),
}));

/**
 * 2xx answers that carry errors (Calltouch's bodies are not documented): `attributed` is `yes`
 * when every error named items of the request, `no` when some named none (the batch is then
 * isolated as a refusal would be).
 */
export const answerMetrics = memo((registry: Registry) => ({
  answerErrors: new Counter({
    name: 'touchline_calltouch_answer_errors_total',
    help: 'Calltouch 2xx answers that carry errors, by endpoint and whether the errors named the items (attributed yes/no).',
    labelNames: ['endpoint', 'attributed'] as const,
    registers: [registry],
  }),
}));

export interface PointsReading {
  readonly budget: number;
  readonly remaining: number;
}

/**
 * Points left and the budget, read from Redis on scrape (shared by all processes). Nothing is
 * exported until a source is set, and never without a budget.
 */
export const pointsMetrics = memo((registry: Registry) => {
  let source: (() => Promise<PointsReading | undefined>) | undefined;
  const read = async () => (source ? await source().catch(() => undefined) : undefined);
  // Registered only once a budget source is set: without a budget both are absent, not 0.
  const remaining = new Gauge({
    name: 'touchline_calltouch_points_remaining',
    help: 'Calltouch API points left today (shared by all processes); absent without a budget.',
    registers: [],
    async collect() {
      const reading = await read();
      if (reading) this.set(reading.remaining);
    },
  });
  const budget = new Gauge({
    name: 'touchline_points_budget',
    help: 'The daily Calltouch API points budget (CALLTOUCH_POINTS_DAILY_BUDGET); absent without one.',
    registers: [],
    async collect() {
      const reading = await read();
      if (reading) this.set(reading.budget);
    },
  });
  return {
    remaining,
    budget,
    /** Starts exporting both gauges, read from `fn` on each scrape. */
    setSource(fn: () => Promise<PointsReading | undefined>) {
      if (!source) {
        registry.registerMetric(remaining);
        registry.registerMetric(budget);
      }
      source = fn;
    },
  };
});

export const mcnMetrics = memo((registry: Registry) => ({
  calls: new Counter({
    name: 'touchline_mcn_calls_total',
    help: 'Calls read from the MCN call log, by outcome (duplicate: read again by a later poll of the same day, already enqueued).',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  }),
  pollLag: new Gauge({
    name: 'touchline_mcn_poll_lag_seconds',
    help: 'Now minus the newest instant of the MCN call log fully read.',
    registers: [registry],
  }),
}));

/**
 * Requests to the MCN API by kind (`record`: a recording fetched for the recordings proxy) and
 * outcome. Its own group, apart from `mcnMetrics`, so the public HTTP role that proxies
 * recordings does not export the poller's gauges; every MCN request kind counts here.
 */
export const mcnRequestMetrics = memo((registry: Registry) => ({
  requests: new Counter({
    name: 'touchline_mcn_requests_total',
    help: 'Requests sent to the MCN API, by kind (tail, full, record) and outcome.',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  }),
}));

/** Outcomes of `GET|HEAD /v1/recordings/…`, one per request. */
export const RECORDING_OUTCOMES = [
  'served',
  'forbidden',
  'not_found',
  'upstream_error',
  'busy',
  'range_not_satisfiable',
] as const;
export type RecordingOutcome = (typeof RECORDING_OUTCOMES)[number];
/** Why a stream that had started ended before its last byte. */
export type RecordingInterruption =
  'client_closed' | 'client_idle' | 'upstream_failed' | 'too_long';

export const recordingsMetrics = memo((registry: Registry) => {
  const requests = new Counter({
    name: 'touchline_recordings_requests_total',
    help: 'Requests for call recordings (/v1/recordings/), by outcome: served, forbidden (bad or missing signature), not_found, upstream_error (MCN failed), busy (stream bound reached), range_not_satisfiable.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Every outcome exported from the start, so rates and alerts see 0 rather than nothing.
  for (const outcome of RECORDING_OUTCOMES) requests.inc({ outcome }, 0);
  return {
    requests,
    bytes: new Counter({
      name: 'touchline_recordings_bytes_total',
      help: 'Audio bytes sent to recording listeners.',
      registers: [registry],
    }),
    active: new Gauge({
      name: 'touchline_recordings_streams_active',
      help: 'Recording requests in progress (each holds at most one MCN connection).',
      registers: [registry],
    }),
    interrupted: new Counter({
      name: 'touchline_recordings_streams_interrupted_total',
      help: 'Recording streams that ended before their last byte, by cause (client_closed, client_idle, upstream_failed, too_long).',
      labelNames: ['cause'] as const,
      registers: [registry],
    }),
  };
});

export const eventMetrics = memo((registry: Registry) => ({
  events: new Counter({
    name: 'touchline_events_total',
    help: 'Webhook events received (MCN call events, Calltouch lead events), by source and outcome: accepted (a read was asked for), ignored (authentic, nothing to read), unauthorized.',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  }),
}));

export const freshnessMetrics = memo((registry: Registry) => ({
  calls: new Histogram({
    name: 'touchline_call_freshness_seconds',
    help: 'From the end of a call at MCN to its acceptance by Calltouch, by lane (live, backlog).',
    labelNames: ['lane'] as const,
    buckets: [0.5, 1, 1.5, 2, 3, 5, 10, 20, 30, 60, 120, 300, 900, 3600, 21600, 86400],
    registers: [registry],
  }),
}));

export const crmMetrics = memo((registry: Registry) => ({
  orders: new Counter({
    name: 'touchline_crm_orders_total',
    help: 'Deals received from the CRM, by outcome (deals, not HTTP requests; an unauthenticated request counts once: its body is never read).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
}));

export const leadsMetrics = memo((registry: Registry) => ({
  leads: new Counter({
    name: 'touchline_leads_total',
    help: 'Calltouch leads delivered to the CRM webhook, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  }),
}));

export type { Registry } from 'prom-client';
