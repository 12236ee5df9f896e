import type { ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import got, { type Got } from 'got';
import { setTimeout as sleep } from 'node:timers/promises';
import { RETRIED_GET_CODES, errorCode, limitAnswer } from '@touchline/http';
import { z } from 'zod';
import { MAX_ITEMS_PER_REQUEST, type CalltouchEndpoint, type CallsMode } from './endpoints.ts';
import { createRedactor } from '@touchline/logger';
import { calltouchCallSchema, type CalltouchCall } from './call.ts';
import { toHttpError, toTransportError } from './classify.ts';
import { CalltouchError, type RequestOutcome } from './errors.ts';
import { toLogId } from './log-id.ts';
import {
  calltouchOrderCreateSchema,
  calltouchOrderUpdateSchema,
  type CalltouchOrderCreate,
  type CalltouchOrderUpdate,
} from './order.ts';
import { calltouchRequestJournalSchema, type CalltouchRequestRecord } from './request-record.ts';
import {
  toCallsRequest,
  toOrdersRequest,
  toRequestsExport,
  type RequestsQuery,
  type WireRequest,
  type WireSettings,
} from './wire.ts';

/**
 * Called immediately before every HTTP request leaves, got's retries included: the shared
 * Redis rate limiter plugs in here. It resolves when the request may go, optionally with a
 * {@link GatePass} that wants to know when the request has actually been written.
 */
export interface RequestGate {
  acquire(endpoint: CalltouchEndpoint): Promise<GatePass | void>;
}

/** What the gate let through; told when the request's bytes were handed to the socket. */
export interface GatePass {
  /**
   * `at`: a `performance.now()` reading taken when the request had been written. Called once,
   * not awaited: it must not throw or reject.
   */
  sent(at: number): void;
}

/** One HTTP exchange with Calltouch, for metrics and points accounting. */
export interface RequestEvent {
  endpoint: CalltouchEndpoint;
  outcome: RequestOutcome;
  status?: number;
  /** From the moment the gate let the request go until its answer or failure. */
  durationMs: number;
  /** Calls or orders sent; for the export, records received. */
  items: number;
}

export interface CalltouchClientOptions extends Omit<WireSettings, 'crmName'> {
  callsMode: CallsMode;
  /** Whole-request timeout of one attempt, ms. */
  timeoutMs: number;
  /**
   * Largest answer read into memory, bytes (default 64 MiB: a busy day of the requests journal
   * is a few MiB; an import answer is a few bytes).
   */
  maxAnswerBytes?: number | undefined;
  /** `crm` of the orders body; default `Touchline`. */
  crmName?: string | undefined;
  gate?: RequestGate | undefined;
  observe?: ((event: RequestEvent) => void) | undefined;
}

export interface CalltouchClient {
  /** 100, or 1 in pbx-single. */
  readonly maxCallsPerRequest: number;
  /** One HTTP request. Resolves with the import log id when the answer carries one. */
  importCalls(calls: readonly CalltouchCall[]): Promise<{ logIds: string[] }>;
  /** Up to 100 orders in one request; body `{crm, orders}`. */
  createOrders(orders: readonly CalltouchOrderCreate[]): Promise<{ body: unknown }>;
  updateOrders(orders: readonly CalltouchOrderUpdate[]): Promise<{ body: unknown }>;
  /** The requests journal for one continuous range; got retries network errors twice (GET). */
  exportRequests(query: RequestsQuery): Promise<CalltouchRequestRecord[]>;
}

const US_DATE = /^(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])\/\d{4}$/;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;
const requestsQuerySchema = z.strictObject({
  dateFrom: z.string().regex(US_DATE, 'expected mm/dd/yyyy'),
  dateTo: z.string().regex(US_DATE, 'expected mm/dd/yyyy'),
  timeFrom: z.string().regex(TIME, 'expected hh:mm:ss').optional(),
  timeTo: z.string().regex(TIME, 'expected hh:mm:ss').optional(),
  flags: z.record(z.string().regex(/^\w+$/), z.boolean()).optional(),
});

/** Marks an error thrown by the gate so it surfaces as itself, not as a network error. */
class GateFailure extends Error {
  constructor(readonly original: unknown) {
    super('request gate failed');
  }
}

/**
 * A Calltouch client: one method per endpoint, one HTTP request per call (no hidden batching
 * or retries except the export's network retries), payloads validated before they leave,
 * every failure a {@link CalltouchError}. Throws at once when the mode lacks credentials.
 */
export function createCalltouchClient(options: CalltouchClientOptions): CalltouchClient {
  const { callsMode, gate, observe } = options;
  if (callsMode !== 'lead-import' && (!options.atsCode || !options.atsToken)) {
    throw new Error(`Calltouch calls mode ${callsMode} needs atsCode and atsToken`);
  }
  const settings: WireSettings = {
    apiUrl: options.apiUrl,
    atsUrl: options.atsUrl,
    siteId: options.siteId,
    apiToken: options.apiToken,
    atsCode: options.atsCode,
    atsToken: options.atsToken,
    crmName: options.crmName ?? 'Touchline',
  };
  const scrub = createRedactor([options.apiToken, options.atsToken]);
  const maxAnswerBytes = options.maxAnswerBytes ?? 64 * 1024 * 1024;
  const maxCallsPerRequest = callsMode === 'pbx-single' ? 1 : MAX_ITEMS_PER_REQUEST;
  const http: Got = got.extend({
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
    timeout: { connect: Math.min(5_000, options.timeoutMs), request: options.timeoutMs },
    retry: { limit: 0 },
  });

  const emit = (event: RequestEvent): void => {
    try {
      observe?.(event);
    } catch {
      // An observer's bug must not turn a delivered batch into a failure.
    }
  };

  /** Sends one request through the gate; resolves with the 2xx body text. */
  const send = async (
    wire: WireRequest,
    items: number,
    retryNetwork: boolean,
  ): Promise<{ status: number; body: string; durationMs: number }> => {
    const { endpoint } = wire;
    let startedAt = performance.now();
    const since = () => Math.round(performance.now() - startedAt);
    // Serialised once, before the gate is asked: nothing heavy is left between the limiter's
    // grant and the bytes leaving (got would otherwise encode the string as it writes it).
    const payload = wire.json === undefined ? undefined : Buffer.from(JSON.stringify(wire.json));
    const headers = payload
      ? { ...wire.headers, 'content-type': 'application/json' }
      : wire.headers;
    let response;
    // One quick retry layer for idempotent GETs whose connection failed (the export): a loop of
    // our own rather than got's, which lets some failures escape it on Node 24 (got#2469).
    // Each attempt passes the gate again.
    const attempts = retryNetwork && wire.method === 'GET' ? 3 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        let pass: GatePass | void = undefined;
        const request = http(wire.url, {
          method: wire.method,
          headers,
          ...(payload === undefined ? {} : { body: payload }),
          hooks: {
            beforeRequest: [
              async () => {
                try {
                  pass = await gate?.acquire(endpoint);
                } catch (err) {
                  throw new GateFailure(err);
                }
                startedAt = performance.now();
              },
            ],
          },
        });
        // The gate learns when the request was written, so the limiter logs when it really
        // left (packages/limiter). (`on` returns the request itself, awaited just below.)
        void request.on('request', (clientRequest) =>
          whenWritten(clientRequest, (at) => {
            if (pass) pass.sent(at);
          }),
        );
        response = await limitAnswer(request, maxAnswerBytes);
        break;
      } catch (err) {
        const gateFailure = findGateFailure(err);
        if (gateFailure) throw gateFailure.original;
        const error = toTransportError(endpoint, err, scrub);
        emit({ endpoint, outcome: 'network_error', durationMs: since(), items });
        const code = errorCode(err);
        if (attempt >= attempts || code === undefined || !RETRIED_GET_CODES.includes(code))
          throw error;
        await sleep(250 * attempt);
      }
    }
    const { statusCode, body } = response;
    if (statusCode >= 200 && statusCode < 300)
      return { status: statusCode, body, durationMs: since() };
    const error = toHttpError(
      endpoint,
      {
        status: statusCode,
        statusText: response.statusMessage,
        body,
        retryAfter: header(response.headers['retry-after']),
      },
      Date.now(),
      scrub,
    );
    emit({
      endpoint,
      outcome: error.outcome ?? 'client_error',
      status: statusCode,
      durationMs: since(),
      items,
    });
    throw error;

    function header(value: string | string[] | undefined): string | undefined {
      return Array.isArray(value) ? value[0] : value;
    }
  };

  const observeOk = (
    endpoint: CalltouchEndpoint,
    status: number,
    durationMs: number,
    items: number,
  ) => emit({ endpoint, outcome: 'ok', status, durationMs, items });

  const validate = <T>(
    endpoint: CalltouchEndpoint,
    schema: z.ZodType<T>,
    value: unknown,
    what: string,
  ): T => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const detail = result.error.issues
      .slice(0, 10)
      .map((i) => `${[what, ...i.path].map(String).join('.')}: ${i.message}`)
      .join('; ');
    throw new CalltouchError(
      {
        code: 'INVALID_PAYLOAD',
        endpoint,
        message: `Calltouch ${endpoint}: invalid payload: ${detail}`,
      },
      scrub,
    );
  };

  const postOrders = async (
    endpoint: 'orders_create' | 'orders_update',
    schema: z.ZodType,
    orders: readonly unknown[],
  ): Promise<{ body: unknown }> => {
    const valid = validate(
      endpoint,
      z.array(schema).min(1).max(MAX_ITEMS_PER_REQUEST),
      orders,
      'orders',
    );
    const wire = toOrdersRequest(endpoint, valid, settings);
    const answer = await send(wire, valid.length, false);
    const ms = answer.durationMs;
    observeOk(endpoint, answer.status, ms, valid.length);
    return { body: parseLoose(answer.body) };
  };

  return {
    maxCallsPerRequest,

    async importCalls(calls) {
      const valid = validate(
        'calls_import',
        z.array(calltouchCallSchema).min(1).max(maxCallsPerRequest),
        calls,
        'calls',
      );
      const wire = toCallsRequest(callsMode, valid, settings);
      const answer = await send(wire, valid.length, false);
      const ms = answer.durationMs;
      observeOk('calls_import', answer.status, ms, valid.length);
      const logId = toLogId(answer.body);
      return { logIds: logId === undefined ? [] : [logId] };
    },

    createOrders: (orders) => postOrders('orders_create', calltouchOrderCreateSchema, orders),
    updateOrders: (orders) => postOrders('orders_update', calltouchOrderUpdateSchema, orders),

    async exportRequests(query) {
      const valid = validate('requests_export', requestsQuerySchema, query, 'query');
      const wire = toRequestsExport(stripUndefined(valid), settings);
      const answer = await send(wire, 0, true);
      const ms = answer.durationMs;
      const parsed = calltouchRequestJournalSchema.safeParse(parseLoose(answer.body));
      if (!parsed.success) {
        emit({
          endpoint: 'requests_export',
          outcome: 'server_error',
          status: answer.status,
          durationMs: ms,
          items: 0,
        });
        throw new CalltouchError(
          {
            code: 'INVALID_RESPONSE',
            endpoint: 'requests_export',
            failure: { kind: 'unavailable', status: answer.status },
            body: answer.body,
            message: `Calltouch requests_export: HTTP ${answer.status} but the body is not a journal: ${parsed.error.issues[0]?.message ?? 'unreadable'}`,
          },
          scrub,
        );
      }
      observeOk('requests_export', answer.status, ms, parsed.data.length);
      return parsed.data;
    },
  };
}

/**
 * Calls `written` once, with a `performance.now()` reading taken no earlier than the moment
 * the request's bytes were handed to the kernel: an upper bound of when they left.
 * - On a connected socket (a kept-alive one, the usual case under load) Node writes the whole
 *   buffered request synchronously right after the `socket` event (`onSocketNT` in
 *   lib/_http_client.js: `tickOnSocket`, which emits it, then `req._flush()`), so the next
 *   tick comes just after the write.
 * - On a connection still opening (or a TLS handshake) the write waits for it: `finish`, once
 *   the whole request has been flushed, bounds it. `finish` alone would also be a bound on a
 *   connected socket, but a loose one on a busy host: it waits for the write callback, and
 *   the server may well have read the request before it runs.
 */
function whenWritten(request: ClientRequest, written: (at: number) => void): void {
  let reported = false;
  const report = () => {
    if (reported) return;
    reported = true;
    written(performance.now());
  };
  request.once('socket', (socket) => {
    if (!socket.connecting) process.nextTick(report);
  });
  request.once('finish', report);
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function stripUndefined(q: z.output<typeof requestsQuerySchema>): RequestsQuery {
  return {
    dateFrom: q.dateFrom,
    dateTo: q.dateTo,
    ...(q.timeFrom === undefined ? {} : { timeFrom: q.timeFrom }),
    ...(q.timeTo === undefined ? {} : { timeTo: q.timeTo }),
    ...(q.flags === undefined ? {} : { flags: q.flags }),
  };
}

function findGateFailure(err: unknown): GateFailure | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof GateFailure) return e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}
