import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { McnCall } from '@touchline/mcn';
import Fastify, { type FastifyReply } from 'fastify';
import { DateTime } from 'luxon';
import { createCallLog } from './call-log.ts';
import { generateCall, type GeneratedCall, type MalformedKind } from './generate-call.ts';
import { mcnStandInOptionsSchema, type McnStandInOptions } from './options.ts';
import { randomSubscriber } from './phone-formats.ts';
import { createRandom } from './random.ts';
import { registerAdminRoutes } from './routes-admin.ts';
import { registerApiRoutes, type CallLogQuery, type RequestOutcome } from './routes-api.ts';
import { mp3Bytes, mp3Size, seedOf } from './mp3.ts';
import {
  registerRecordingRoute,
  type RecordingOutcome,
  type RecordingState,
} from './routes-recording.ts';
import { historyStarts } from './seed-history.ts';
import { createMcnEvents, type McnEventStats, type McnEventsSettings } from './events.ts';

export interface McnStandInStats {
  /** Records in the log (after retention), by type as written, by status, and broken ones. */
  calls: number;
  byType: Record<string, number>;
  byStatus: Record<string, number>;
  malformed: Partial<Record<MalformedKind, number>>;
  liveCallsAdded: number;
  /** Webhooks: sent, failed, calls without one, duplicates, records that reached the log late. */
  events: McnEventStats;
  requests: Record<RequestOutcome, number> & { total: number };
  /** Records handed out by call_log pages, repeats included. */
  callsServed: number;
  lastRequest?: {
    dateFrom: string;
    dateTo: string;
    limit: number;
    offset: number;
    items: number;
    at: string;
  };
  down: boolean | 'timeout';
  /** `call_log/record` answers by outcome, bodies being sent now, bytes of bodies sent whole. */
  recordings: {
    requests: Record<RecordingOutcome, number> & { total: number };
    streamsOpen: number;
    bytesServed: number;
  };
}

/** A call that ended live, as `liveEnds` reports it. */
export interface LiveEnd {
  callid: string;
  endMs: number;
  importable: boolean;
}

/** A running MCN stand-in: the HTTP API plus the same controls in code. */
export interface McnStandIn {
  /** Base URL, `http://127.0.0.1:{port}/v2/rest`: use it as MCN_API_URL. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly accountId: string;
  readonly vpbxId: string;
  /** Appends `count` finished calls (ending now, or starting at `at`) and returns them. */
  addCalls(count: number, opts?: { at?: Date; inboundOnly?: boolean }): McnCall[];
  /** Where and how VPBX webhooks go from now on (a URL and the secret turn them on). */
  setEvents(settings: McnEventsSettings): void;
  /** Outage: `true` answers 503 to every API call, `'timeout'` never answers, `false` heals. */
  setDown(down: boolean | 'timeout'): void;
  /** Every record in the log, in log order (broken ones included). */
  calls(): McnCall[];
  /**
   * Calls that ended live (the timer or `addCalls` without `at`) at or after `sinceMs`, oldest
   * first, with the instant they ended and whether Touchline should import them (inbound and
   * well-formed): what a freshness measurement compares Calltouch's arrival times with. The
   * last 10,000 are kept.
   */
  liveEnds(sinceMs: number): LiveEnd[];
  /**
   * The bytes `call_log/record` serves for `callid` once it is ready, or undefined for a call
   * without a recording (unknown, `has_record` 0, or one of the never-found share).
   */
  recordingOf(callid: string): Buffer | undefined;
  stats(): McnStandInStats;
  /** Idempotent; held requests are answered 503 first. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const LIVE_TICK_MS = 250;
const RECENT_ENDS_KEPT = 10_000;

/**
 * Starts a local stand-in for MCN's call-log API on 127.0.0.1, with a seeded, realistic log
 * (mixed number formats, `did` number or "", statuses in MCN's spellings, a share of broken
 * records), live calls arriving on a timer, date filtering in the log's zone, limit/offset
 * paging, Bearer auth, and outages on demand.
 */
export async function createMcnStandIn(options: McnStandInOptions = {}): Promise<McnStandIn> {
  const o = mcnStandInOptionsSchema.parse(options);
  const now = options.now ?? (() => new Date());
  const random = createRandom(o.seed);
  const callers = Array.from({ length: 3000 }, () => randomSubscriber(random));
  const log = createCallLog();
  let seq = 6_000_000 + random.int(0, 999_999);
  let down: boolean | 'timeout' = false;
  let liveCallsAdded = 0;
  let callsServed = 0;
  let lastRequest: McnStandInStats['lastRequest'];
  const requests = { ok: 0, unauthorized: 0, notFound: 0, badRequest: 0, unavailable: 0, held: 0 };
  const held = new Set<FastifyReply>();
  const recordingRequests: Record<RecordingOutcome, number> = {
    ok: 0,
    partial: 0,
    notReady: 0,
    notFound: 0,
    rangeNotSatisfiable: 0,
    unauthorized: 0,
    badRequest: 0,
    unavailable: 0,
    held: 0,
  };
  let streamsOpen = 0;
  let bytesServed = 0;
  const recordingSize = mp3Size(o.recordingBytes);
  // Per-call draws from the callid, not from `random`: the same call behaves the same way in
  // every run and in every test, and recordings never shift the generated log.
  const draw = (callid: string, what: string) => seedOf(`${o.seed}:${what}:${callid}`) / 2 ** 32;
  const recordedCall = (callid: string) => {
    const call = log.get(callid);
    const flag = call?.record.has_record as unknown;
    const recorded = flag === 1 || flag === '1' || flag === true;
    if (!call || !recorded || draw(callid, 'missing') < o.recordingMissingShare) return undefined;
    return call;
  };
  const recordingState = (callid: string): RecordingState => {
    const call = recordedCall(callid);
    if (!call) return { state: 'missing' };
    const late = draw(callid, 'not-ready') < o.recordingNotReadyShare;
    if (late && now().getTime() < call.endMs + o.recordingNotReadyMs) return { state: 'not_ready' };
    return { state: 'ready', seed: seedOf(`${o.seed}:${callid}`), size: recordingSize };
  };
  const retentionDays = o.retentionDays ?? Math.max(Math.ceil(o.historyDays), 7);

  const recentEnds: LiveEnd[] = [];
  const events = createMcnEvents(createRandom(o.seed + 1), o.accountId);
  if (options.events) events.configure(options.events);
  const append = (
    timing: { startMs?: number; endMs?: number },
    inboundOnly = false,
  ): GeneratedCall => {
    const call = generateCall({
      random,
      zone: o.timeZone,
      seq: seq++,
      callers,
      inboundOnly,
      malformedShare: o.malformedShare,
      ...timing,
    });
    // A call that ends now may send a webhook (and reach the log a little late); the history
    // and calls placed in the past enter the log quietly.
    if (timing.endMs !== undefined) {
      events.finished(call, (c) => log.add(c));
      const callid = call.record.callid as unknown;
      if (typeof callid === 'string') {
        const inbound = String(call.record.type).toLowerCase() === 'inb';
        recentEnds.push({ callid, endMs: call.endMs, importable: inbound && !call.malformed });
        if (recentEnds.length > RECENT_ENDS_KEPT) recentEnds.splice(0, recentEnds.length / 2);
      }
    } else log.add(call);
    return call;
  };

  const nowMs = now().getTime();
  for (const startMs of historyStarts(random, {
    nowMs,
    days: o.historyDays,
    perDay: o.callsPerDay,
    zone: o.timeZone,
  })) {
    append({ startMs });
  }

  const addCalls: McnStandIn['addCalls'] = (count, opts = {}) => {
    const timing = opts.at ? { startMs: opts.at.getTime() } : { endMs: now().getTime() };
    return Array.from({ length: count }, () => append(timing, opts.inboundOnly).record);
  };

  const releaseHeld = () => {
    for (const reply of held) {
      if (!reply.sent)
        void reply.code(503).send({ errors: { code: 503, description: 'Service Unavailable' } });
    }
    held.clear();
  };

  const app = Fastify({ logger: false, forceCloseConnections: true });
  registerApiRoutes(app, {
    token: o.token,
    accountId: o.accountId,
    vpbxId: o.vpbxId,
    down: () => down,
    hold: (reply) => held.add(reply),
    callLog: (q: CallLogQuery) =>
      log.page(q.date_from, q.date_to, q.limit, q.offset).map((call) => call.record),
    count(outcome, query, items = 0) {
      requests[outcome] += 1;
      if (!query) return;
      callsServed += items;
      lastRequest = {
        dateFrom: query.date_from,
        dateTo: query.date_to,
        limit: query.limit,
        offset: query.offset,
        items,
        at: now().toISOString(),
      };
    },
  });

  registerRecordingRoute(app, {
    token: o.token,
    accountId: o.accountId,
    vpbxId: o.vpbxId,
    ranges: o.recordingRanges,
    down: () => down,
    hold: (reply) => held.add(reply),
    recording: recordingState,
    count: (outcome) => (recordingRequests[outcome] += 1),
    stream(delta, bytes = 0) {
      streamsOpen += delta;
      bytesServed += bytes;
    },
  });

  const setDown = (value: boolean | 'timeout') => {
    down = value;
    if (value !== 'timeout') releaseHeld();
  };
  const stats = (): McnStandInStats => {
    const byType: Record<string, number> = {};
    const byStatus: Record<string, number> = {};
    const malformed: Partial<Record<MalformedKind, number>> = {};
    for (const call of log.all()) {
      const type = String(call.record.type ?? '');
      const status = String(call.record.status ?? '');
      byType[type] = (byType[type] ?? 0) + 1;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (call.malformed) malformed[call.malformed] = (malformed[call.malformed] ?? 0) + 1;
    }
    const total = Object.values(requests).reduce((a, b) => a + b, 0);
    return {
      calls: log.size(),
      byType,
      byStatus,
      malformed,
      liveCallsAdded,
      events: events.stats(),
      requests: { ...requests, total },
      callsServed,
      ...(lastRequest ? { lastRequest } : {}),
      down,
      recordings: {
        requests: {
          ...recordingRequests,
          total: Object.values(recordingRequests).reduce((a, b) => a + b, 0),
        },
        streamsOpen,
        bytesServed,
      },
    };
  };
  registerAdminRoutes(app, { stats, setDown, addCalls });

  await app.listen({ host: '127.0.0.1', port: o.port });
  const port = (app.server.address() as AddressInfo).port;

  // Live calls: a fractional accumulator turns the per-minute rate into whole calls per tick.
  let owed = 0;
  let lastTick = performance.now();
  let lastPrune = 0;
  const timer =
    o.liveCallsPerMinute > 0
      ? setInterval(() => {
          const tick = performance.now();
          owed += (o.liveCallsPerMinute * (tick - lastTick)) / 60_000;
          lastTick = tick;
          const due = Math.floor(owed);
          owed -= due;
          if (due > 0) {
            addCalls(due);
            liveCallsAdded += due;
          }
          const nowMs = now().getTime();
          if (nowMs - lastPrune > 60_000) {
            lastPrune = nowMs;
            const keepFrom = DateTime.fromMillis(nowMs - retentionDays * DAY_MS, {
              zone: o.timeZone,
            });
            log.pruneBefore(keepFrom.toFormat('yyyy-MM-dd'));
          }
        }, LIVE_TICK_MS)
      : undefined;
  timer?.unref();

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/v2/rest`,
    port,
    token: o.token,
    accountId: o.accountId,
    vpbxId: o.vpbxId,
    addCalls,
    setEvents: (settings) => events.configure(settings),
    setDown,
    calls: () => log.all().map((call) => call.record),
    liveEnds: (sinceMs) => recentEnds.filter((end) => end.endMs >= sinceMs),
    recordingOf: (callid) =>
      recordedCall(callid) ? mp3Bytes(seedOf(`${o.seed}:${callid}`), recordingSize) : undefined,
    stats,
    close() {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        events.close();
        releaseHeld();
        await app.close();
      })();
      return closing;
    },
  };
}
