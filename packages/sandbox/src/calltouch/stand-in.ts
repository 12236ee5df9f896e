import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import type { StandInCredentials, StandInContext } from './context.ts';
import { applyFaultUpdate, drawFault, type FaultState, type FaultUpdate } from './faults.ts';
import { createJournal, seedJournal, type JournalRecord } from './journal.ts';
import {
  calltouchStandInOptionsSchema,
  initialFaults,
  type CalltouchStandInOptions,
} from './options.ts';
import { createArrivalDelay } from './arrival.ts';
import { createPlayer, type RecordingFetch } from './player.ts';
import { between, createPrng } from './prng.ts';
import { registerAdminRoutes } from './routes-admin.ts';
import { registerApiRoutes } from './routes-api.ts';
import { registerAtsRoutes } from './routes-ats.ts';
import { createSlidingWindow } from './sliding-window.ts';
import { createLeadEvents, type LeadEventStats, type LeadEventsSettings } from './lead-events.ts';
import { createState, type ReceivedCall, type StandInStats, type StoredOrder } from './state.ts';

/** A running Calltouch stand-in: the HTTP service plus the same controls in code. */
export interface CalltouchStandIn {
  /** `http://127.0.0.1:{port}`: use it as both CALLTOUCH_API_URL and CALLTOUCH_ATS_URL. */
  readonly url: string;
  readonly port: number;
  /** `{url}/__sandbox`. */
  readonly adminUrl: string;
  readonly credentials: StandInCredentials;
  stats(): StandInStats;
  /** Received calls keyed by referenceId, with how often each arrived (a copy of them all). */
  calls(): Record<string, ReceivedCall>;
  /** One received call (cheap: for a loop that waits on many calls, one at a time). */
  call(referenceId: string): ReceivedCall | undefined;
  /** Final state and history per orderNumber. */
  orders(): Record<string, StoredOrder>;
  faults(): FaultState & { stormActive: boolean };
  setFaults(update: FaultUpdate): FaultState & { stormActive: boolean };
  /** Adds `count` journal requests created at `atMs` (default now); each sends a lead event. */
  addRequests(count: number, atMs?: number): JournalRecord[];
  /** Where lead webhooks go from now on (a URL with the secret turns them on). */
  setLeadEvents(settings: LeadEventsSettings): void;
  leadEvents(): LeadEventStats;
  journal(): readonly JournalRecord[];
  /** What playing each call's recordUrl gave, by referenceId (with `fetchRecordings`). */
  recordings(): Record<string, RecordingFetch>;
  /** Forgets calls, orders, counters, faults and the rate window; re-seeds the journal. */
  reset(): void;
  /** Idempotent; hung requests are cut. */
  close(): Promise<void>;
}

/**
 * Starts a faithful local stand-in for Calltouch's ATS and API hosts on 127.0.0.1: documented
 * validation (whole request refused on any bad item), strict per-IP sliding-window limit where
 * every arrival counts, points accounting, realistic latency, and fault injection.
 */
export async function createCalltouchStandIn(
  options: CalltouchStandInOptions = {},
): Promise<CalltouchStandIn> {
  const o = calltouchStandInOptionsSchema.parse(options);
  const credentials: StandInCredentials = {
    atsCode: o.atsCode,
    atsToken: o.atsToken,
    apiToken: o.apiToken,
    siteId: o.siteId,
  };
  const costs = {
    calls_import: o.pointsCost.calls_import ?? 1,
    orders_create: o.pointsCost.orders_create ?? 1,
    orders_update: o.pointsCost.orders_update ?? 1,
    requests_export: o.pointsCost.requests_export ?? 1,
  };
  // Separate streams: fault and latency draws must not shift the seeded journal data.
  const dataRandom = createPrng(o.seed);
  const trafficRandom = createPrng(o.seed ^ 0x9e3779b9);
  const state = createState(costs);
  const window = createSlidingWindow({ limit: o.rateLimit, windowMs: o.windowMs });
  const journal = createJournal({ random: dataRandom, siteId: o.siteId, timeZone: o.timeZone });
  const seed = () =>
    seedJournal(journal, {
      random: dataRandom,
      nowMs: Date.now(),
      days: o.historyDays,
      perDay: o.requestsPerDay,
    });
  seed();
  const freshFaults = (): FaultState => ({
    settings: initialFaults(o),
    stormUntilMs: 0,
    stormRetryAfterSeconds: 1,
  });
  let faults = freshFaults();
  let logId = 61_924_734;
  const player = createPlayer({
    concurrency: o.recordingFetchConcurrency,
    timeoutMs: o.recordingFetchTimeoutMs,
  });

  const ctx: StandInContext = {
    credentials,
    state,
    journal,
    timeZone: o.timeZone,
    nextLogId: () => logId++,
    faults: () => faults.settings,
    accepted(calls) {
      if (!o.fetchRecordings) return;
      for (const call of calls) if (call.recordUrl) player.play(call.referenceId, call.recordUrl);
    },
  };
  const latency = () => between(trafficRandom, o.latencyMs.min, o.latencyMs.max);
  const arrivalDelay = createArrivalDelay(o.arrivalJitterMs, o.seed);
  const pause = async (ms: number) => {
    if (ms > 0) await sleep(ms, undefined, { ref: false });
  };

  const app: FastifyInstance = Fastify({
    logger: false,
    // Hung requests must not hold close() hostage.
    forceCloseConnections: true,
    bodyLimit: 10 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (config.admin) return;
    state.arrival(config.endpoint ?? 'unknown');
    // The network's jitter: the request reaches Calltouch (its window, then everything else)
    // this much later. Delaying the request itself, not only its timestamp, keeps the window
    // causal: it judges each arrival against the arrivals before it, in arrival order.
    if (o.arrivalJitterMs > 0) await pause(arrivalDelay());
    // Arrival time is taken before anything else, as the real limiter would see it.
    const { allowed } = window.arrive(request.ip, performance.now());
    if (process.env['TOUCHLINE_DEBUG_LIMITER']) {
      process.stderr.write(
        `sandbox: arrived ${(performance.timeOrigin + performance.now()).toFixed(1)} ${allowed ? 'ok' : '429'}\n`,
      );
    }
    const storm = faults.stormUntilMs > Date.now();
    if (storm || !allowed) {
      await pause(latency());
      return reply
        .code(429)
        .header(
          'Retry-After',
          String(storm ? faults.stormRetryAfterSeconds : Math.ceil(o.windowMs / 1000)),
        )
        .send({ success: false, message: 'Too Many Requests' });
    }
  });

  app.addHook('preHandler', async (request, reply) => {
    if (request.routeOptions.config.admin) return;
    await pause(latency());
    const fault = drawFault(faults.settings, trafficRandom);
    if (fault.script)
      faults = { ...faults, settings: { ...faults.settings, nextStatuses: fault.script } };
    if (fault.kind === 'hang') {
      state.hung();
      // Never answer: the client has to time out. close() cuts the socket.
      reply.hijack();
      return reply;
    }
    if (fault.kind === 'error') {
      return reply.code(fault.status).send({
        success: false,
        message: `sandbox: injected ${fault.status >= 500 ? 'server error' : 'refusal'}`,
      });
    }
    if (fault.kind === 'slow') await pause(fault.ms);
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!request.routeOptions.config.admin) state.answered(reply.statusCode);
  });

  const faultView = () => ({ ...faults, stormActive: faults.stormUntilMs > Date.now() });
  const leadEvents = createLeadEvents();
  /** A new request in the journal, announced like Calltouch's webhook does. */
  const register = (atMs: number) => {
    const record = journal.add(atMs);
    leadEvents.created(record);
    return record;
  };
  const addRequests = (count: number, atMs?: number) => {
    const base = atMs ?? Date.now();
    // Distinct creation instants, oldest first, ending at `base`.
    return Array.from({ length: count }, (_, i) => register(base - (count - 1 - i)));
  };
  const reset = () => {
    state.reset();
    window.reset();
    faults = freshFaults();
    player.reset();
    journal.clear();
    seed();
  };

  registerAtsRoutes(app, ctx);
  registerApiRoutes(app, ctx);
  registerAdminRoutes(app, {
    stats: () => state.stats(window.maxInAnyWindow(), journal.all().length, player.stats()),
    calls: state.calls,
    orders: state.orders,
    faults: faultView,
    setFaults: (update) => {
      faults = applyFaultUpdate(faults, update, Date.now());
      return faultView();
    },
    addRequests,
    recordings: () => ({ stats: player.stats(), fetches: player.results() }),
    reset,
  });

  await app.listen({ host: '127.0.0.1', port: o.port });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  let live: NodeJS.Timeout | undefined;
  if (o.liveRequestsPerMinute > 0) {
    live = setInterval(
      () => register(Date.now()),
      Math.max(10, Math.round(60_000 / o.liveRequestsPerMinute)),
    );
    live.unref();
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    adminUrl: `${url}/__sandbox`,
    credentials,
    stats: () => state.stats(window.maxInAnyWindow(), journal.all().length, player.stats()),
    calls: state.calls,
    call: state.call,
    orders: state.orders,
    faults: faultView,
    setFaults(update) {
      faults = applyFaultUpdate(faults, update, Date.now());
      return faultView();
    },
    addRequests,
    setLeadEvents: (settings) => leadEvents.configure(settings),
    leadEvents: () => leadEvents.stats(),
    journal: () => journal.all(),
    recordings: () => player.results(),
    reset,
    close: () =>
      (closing ??= (async () => {
        if (live) clearInterval(live);
        player.close();
        await app.close();
      })()),
  };
}
