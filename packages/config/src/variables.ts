import { z } from 'zod';
import { CALLS_MODES, CALLTOUCH_ENDPOINTS, type CalltouchEndpoint } from '@touchline/calltouch';
import {
  bool,
  duration,
  int,
  json,
  oneOf,
  port,
  redisUrl,
  secret,
  str,
  timeZone,
  url,
} from './helpers.ts';
import { signingKeys } from './signing-keys.ts';
import { cidrList, trustProxy } from './network.ts';

interface Variable {
  readonly schema: z.ZodType;
  readonly group: string;
  readonly doc: string;
  /** The default as it would be written in `.env`; absent = no default. */
  readonly default?: string;
  /** Required by the roles that use it (credentials): documented, not defaulted. */
  readonly required?: boolean;
  readonly secret?: boolean;
}

const v = <S extends z.ZodType>(
  schema: S,
  meta: Omit<Variable, 'schema'>,
): { schema: S; meta: Omit<Variable, 'schema'> } => ({
  // A default stands in for an unset or empty variable and is parsed like a value from the
  // environment, so documentation and behaviour cannot disagree.
  schema:
    meta.default === undefined
      ? schema
      : (z.preprocess(
          (raw) => (typeof raw !== 'string' || raw.trim() === '' ? meta.default : raw),
          schema,
        ) as unknown as S),
  meta,
});

const pointsCost = z
  .record(z.string(), z.number().nonnegative())
  .superRefine((table, ctx) => {
    for (const key of Object.keys(table)) {
      if (!(CALLTOUCH_ENDPOINTS as readonly string[]).includes(key)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown endpoint "${key}" (known: ${CALLTOUCH_ENDPOINTS.join(', ')})`,
        });
      }
    }
  })
  .transform(
    (table) =>
      Object.fromEntries(CALLTOUCH_ENDPOINTS.map((e) => [e, table[e] ?? 1])) as Record<
        CalltouchEndpoint,
        number
      >,
  );

/**
 * Every environment variable Touchline reads, with its documentation. The single source for
 * role schemas, `.env.example` and `docs/configuration.md` (a test keeps those two in step).
 */
export const VARIABLES = {
  REDIS_URL: v(redisUrl(), {
    group: 'Redis',
    default: 'redis://127.0.0.1:6379',
    doc: 'Redis 7 holding every queue, checkpoint and the shared limiter. Run it with AOF and maxmemory-policy noeviction. With Sentinel: redis+sentinel://[:password@]host:26379[,host:26379…]/<master name>[/db], and ?sentinelPassword=… when the Sentinels require one.',
  }),
  QUEUE_PREFIX: v(
    str().pipe(z.string().regex(/^[\w{}:.-]+$/, 'expected letters, digits, {}, :, . or -')),
    {
      group: 'Redis',
      default: 'touchline',
      doc: 'Prefix of every Redis key. Use a hash tag such as {touchline} on Redis Cluster.',
    },
  ),
  CALLTOUCH_API_URL: v(url(), {
    group: 'Calltouch',
    default: 'https://api.calltouch.ru',
    doc: 'Calltouch API base URL (orders, requests journal, lead-import calls).',
  }),
  CALLTOUCH_ATS_URL: v(url(), {
    group: 'Calltouch',
    default: 'https://ats.calltouch.ru',
    doc: 'Calltouch PBX (ATS) import base URL.',
  }),
  CALLTOUCH_SITE_ID: v(str(), {
    group: 'Calltouch',
    required: true,
    doc: 'Calltouch site (cabinet) id: the SiteId header and siteId parameter.',
  }),
  CALLTOUCH_API_TOKEN: v(secret(), {
    group: 'Calltouch',
    required: true,
    secret: true,
    doc: 'Calltouch API token (Access-Token header, clientApiId parameter).',
  }),
  CALLTOUCH_ATS_CODE: v(str(), {
    group: 'Calltouch',
    required: true,
    doc: 'PBX login issued by Calltouch for the ATS import (pbx-batch and pbx-single modes).',
  }),
  CALLTOUCH_ATS_TOKEN: v(secret(), {
    group: 'Calltouch',
    required: true,
    secret: true,
    doc: 'Token of the ATS import (the apikey query parameter).',
  }),
  CALLTOUCH_TIMEZONE: v(timeZone(), {
    group: 'Calltouch',
    default: 'Europe/Moscow',
    doc: 'Time zone of the Calltouch account: dates sent to Calltouch and the points day.',
  }),
  CALLTOUCH_RATE_LIMIT: v(int({ min: 1, max: 100 }), {
    group: 'Calltouch limits',
    default: '5',
    doc: 'Requests per second Calltouch accepts from one egress IP (strict sliding window).',
  }),
  CALLTOUCH_RATE_MARGIN_MS: v(int({ min: 0, max: 1000 }), {
    group: 'Calltouch limits',
    default: '25',
    doc: 'Safety margin added to the 1,000 ms window against network jitter. Larger margin, fewer 429s, slightly less throughput.',
  }),
  CALLTOUCH_EGRESS_ID: v(
    str().pipe(z.string().regex(/^[\w.-]+$/, 'expected letters, digits, . or -')),
    {
      group: 'Calltouch limits',
      default: 'default',
      doc: 'Names the egress IP this process sends from; one shared limiter per egress id.',
    },
  ),
  CALLTOUCH_CALLS_MODE: v(oneOf(CALLS_MODES), {
    group: 'Calltouch',
    default: 'pbx-batch',
    doc: 'How calls are imported: pbx-batch (POST of up to 100), pbx-single (one GET per call) or lead-import (API, custom sources).',
  }),
  CALLTOUCH_POINTS_DAILY_BUDGET: v(int({ min: 1 }), {
    group: 'Calltouch limits',
    doc: 'Daily API points budget of the project. Unset: points are counted, nothing is paused.',
  }),
  CALLTOUCH_POINTS_COST: v(json(pointsCost), {
    group: 'Calltouch limits',
    default: '{}',
    doc: 'Points per successful request, JSON by endpoint (calls_import, orders_create, orders_update, requests_export); missing endpoints cost 1.',
  }),
  CALLTOUCH_POINTS_PAUSE_AT: v(
    json(
      z.strictObject({
        requests_export: z.number().min(0).max(1),
        orders_update: z.number().min(0).max(1),
      }),
    ),
    {
      group: 'Calltouch limits',
      default: '{"requests_export":0.2,"orders_update":0.05}',
      doc: 'Share of the daily budget left at which the leads export, then order updates, pause (calls and order creates go on to zero).',
    },
  ),
  CALLTOUCH_POINTS_EXHAUSTED_STATUS: v(
    str().pipe(
      z
        .string()
        .regex(/^\d{3}(,\d{3})*$/, 'expected HTTP statuses separated by commas, e.g. 402,429')
        .transform((list) => list.split(',').map(Number)),
    ),
    {
      group: 'Calltouch limits',
      default: '402',
      doc: 'HTTP statuses with which Calltouch says the points are exhausted (not documented: adjust when observed).',
    },
  ),
  CALLTOUCH_POINTS_EXHAUSTED_PATTERN: v(
    str().pipe(
      z.string().transform((text, ctx) => {
        try {
          return new RegExp(text, 'i');
        } catch {
          ctx.addIssue({ code: 'custom', message: 'expected a valid regular expression' });
          return z.NEVER;
        }
      }),
    ),
    {
      group: 'Calltouch limits',
      default: 'points|баллов|балл',
      doc: 'Regular expression (case-insensitive) matched against an error body that means the points are exhausted.',
    },
  ),
  CALLTOUCH_TIMEOUT_MS: v(duration('ms'), {
    group: 'Calltouch',
    default: '30000',
    doc: 'Timeout of one Calltouch request (ms, or with a unit: 30s).',
  }),
  CHUNK_MAX_WAIT_MS: v(duration('ms'), {
    group: 'Calltouch limits',
    default: '1000',
    doc: 'Longest time a partial batch of orders waits for more items before it is sent (ms). Calls wait less: the poller enqueues each read at once, so a partial batch of calls leaves once no call has come for 100 ms.',
  }),
  WORKER_BATCHES_IN_FLIGHT: v(int({ min: 1, max: 64 }), {
    group: 'Calltouch limits',
    default: '4',
    doc: 'Batches each worker process keeps in flight per flow; a few keep the limiter slots filled despite latency.',
  }),
  WORKER_CLAIM_TIMEOUT_MS: v(duration('ms'), {
    group: 'Calltouch limits',
    default: '30000',
    doc: 'How long a batch claim lasts without renewal: the items of a worker that died return to the queue after it (ms, or with a unit).',
  }),
  MCN_API_URL: v(url(), {
    group: 'MCN',
    default: 'https://api.mcn.ru/v2/rest',
    doc: 'MCN Telecom REST API base URL.',
  }),
  MCN_API_TOKEN: v(secret(), {
    group: 'MCN',
    required: true,
    secret: true,
    doc: 'MCN API token (Authorization: Bearer).',
  }),
  MCN_ACCOUNT_ID: v(str(), { group: 'MCN', required: true, doc: 'MCN account id.' }),
  MCN_VPBX_ID: v(str(), { group: 'MCN', required: true, doc: 'MCN virtual PBX id.' }),
  MCN_TIMEZONE: v(timeZone(), {
    group: 'MCN',
    default: 'Europe/Moscow',
    doc: 'Time zone of the zone-less times in the MCN call log.',
  }),
  MCN_POLL_INTERVAL_SECONDS: v(int({ min: 1, max: 86_400 }), {
    group: 'MCN',
    default: '60',
    doc: 'Seconds between two reads of the MCN call log.',
  }),
  CALLS_LIVE_WINDOW_MINUTES: v(int({ min: 0, max: 1440 }), {
    group: 'MCN',
    default: '15',
    doc: 'Calls that ended within this many minutes go ahead of every backlog (backfill, catch-up days, replayed items): the live lane. 0 puts every call in one lane.',
  }),
  MCN_TAIL_OVERLAP_MINUTES: v(int({ min: 1, max: 1440 }), {
    group: 'MCN',
    default: '60',
    doc: 'A frequent read of the call log starts this many minutes of calls before its end (the log is ordered by start, so a call that started earlier and ended later lands before the end). Longer than the longest call you expect.',
  }),
  MCN_FULL_READ_INTERVAL_MINUTES: v(int({ min: 1, max: 1440 }), {
    group: 'MCN',
    default: '15',
    doc: 'Minutes between two reads of the whole day, which also count what the frequent tail reads missed (touchline_mcn_calls_total{outcome="full_read_only"}).',
  }),
  MCN_EVENTS_MIN_GAP_MS: v(int({ min: 0, max: 600_000 }), {
    group: 'Events',
    default: '1000',
    doc: 'Least time between two reads of the call log that MCN events trigger; a burst of events makes one read.',
  }),
  MCN_EVENTS_MAX_REQUESTS_PER_MINUTE: v(int({ min: 1, max: 6000 }), {
    group: 'Events',
    default: '120',
    doc: 'MCN call-log requests per minute that event-triggered reads may make: after a read of n pages, the next waits n × 60 s / this (at least MCN_EVENTS_MIN_GAP_MS). Polls and full reads come on top.',
  }),
  MCN_WEBHOOK_SECRET: v(secret().pipe(z.string().min(16, 'expected at least 16 characters')), {
    group: 'Events',
    secret: true,
    doc: 'Secret token of the MCN VPBX webhooks (set in the MCN cabinet; it travels in the body). Set: POST /v1/mcn/events on crm-listener reads the call log at once on a call end. Unset: events are refused (401) and the poll alone reads.',
  }),
  MCN_WEBHOOK_ALLOW_CIDRS: v(cidrList(), {
    group: 'Events',
    doc: "Addresses MCN's webhooks may come from, e.g. 85.94.49.0/25,85.94.32.0/24 (MCN's documented sources). Unset: any address with the right secret. Behind a proxy, set HTTP_TRUST_PROXY too.",
  }),
  CALLTOUCH_WEBHOOK_SECRET: v(
    secret().pipe(z.string().min(16, 'expected at least 16 characters')),
    {
      group: 'Events',
      secret: true,
      doc: "Secret of Calltouch's lead webhook, which you put in the URL you give Calltouch: …/v1/calltouch/events?secret=…. Set: each new lead triggers a read of the requests journal. Unset: refused (401).",
    },
  ),
  LEADS_EVENTS_MIN_GAP_SECONDS: v(int({ min: 1, max: 3600 }), {
    group: 'Events',
    default: '5',
    doc: 'Least time between two reads of the requests journal that Calltouch events trigger (each read spends API points).',
  }),
  HTTP_TRUST_PROXY: v(trustProxy(), {
    group: 'Events',
    default: 'false',
    doc: 'Proxies in front of crm-listener whose X-Forwarded-For is believed (for MCN_WEBHOOK_ALLOW_CIDRS): false, true, a number of hops, or proxy addresses/CIDR blocks.',
  }),
  CRM_LISTENER_PORT: v(port(), {
    group: 'CRM',
    default: '8080',
    doc: 'Port of the CRM webhook listener (POST /v1/orders).',
  }),
  CRM_WEBHOOK_SECRET: v(secret().pipe(z.string().min(16, 'expected at least 16 characters')), {
    group: 'CRM',
    required: true,
    secret: true,
    doc: 'Shared secret of the CRM webhook: Bearer token or HMAC-SHA256 key of X-Touchline-Signature.',
  }),
  LEADS_WEBHOOK_URL: v(url(), {
    group: 'Leads',
    doc: 'CRM endpoint that receives each Calltouch lead as a signed POST. Unset: the leads export is off.',
  }),
  LEADS_WEBHOOK_SECRET: v(secret(), {
    group: 'Leads',
    required: true,
    secret: true,
    doc: 'HMAC-SHA256 key of the X-Touchline-Signature and X-Touchline-Timestamped-Signature headers on lead deliveries (required with LEADS_WEBHOOK_URL).',
  }),
  LEADS_REQUEST_FLAGS: v(
    str().pipe(
      z
        .string()
        .regex(/^[A-Za-z]+(,[A-Za-z]+)*$/, 'expected flag names separated by commas')
        .transform((list) => list.split(',')),
    ),
    {
      group: 'Leads',
      default: 'withMapVisits,withRequestTags',
      doc: 'Flags of the requests journal set to true (withMapVisits, withRequestTags, withCustomFields, …).',
    },
  ),
  LEADS_POLL_INTERVAL_SECONDS: v(int({ min: 10, max: 86_400 }), {
    group: 'Leads',
    default: '300',
    doc: 'Seconds between two reads of the Calltouch requests journal.',
  }),
  RECORDINGS_PUBLIC_URL: v(url(), {
    group: 'Recordings',
    doc: "Public base URL of Touchline's HTTP role as Calltouch's users reach it (the same ingress as the CRM webhook), e.g. https://touchline.example.com. Answered calls with a recording then carry recordUrl = this URL + /v1/recordings/CALLID.mp3?sig=…, served by crm-listener (and all) from MCN. Unset: recordings are off.",
  }),
  RECORDINGS_SIGNING_KEY: v(signingKeys(), {
    group: 'Recordings',
    required: true,
    secret: true,
    doc: 'HMAC keys of recording URLs, newest first: v2:NEW_SECRET,v1:OLD_SECRET (each at least 32 characters, e.g. openssl rand -base64 32); the first signs, all verify, a version removed revokes its URLs. One plain secret is version v1. Required with RECORDINGS_PUBLIC_URL, the same value for worker and crm-listener.',
  }),
  RECORDINGS_URL_TTL: v(duration('s'), {
    group: 'Recordings',
    doc: 'Lifetime of a recording URL from when the call is sent (seconds, or 30m, 720h). Unset: URLs never expire (Calltouch users press play months later, and Calltouch never takes a new URL for a call it has); rotate the key to revoke.',
  }),
  RECORDINGS_MAX_STREAMS: v(int({ min: 1, max: 4096 }), {
    group: 'Recordings',
    default: '32',
    doc: 'Recordings streamed at once by one process (each holds one MCN connection); more are answered 503 with Retry-After.',
  }),
  METRICS_PORT: v(port(), {
    group: 'Operations',
    default: '9464',
    doc: 'Port of GET /metrics and GET /healthz of every long-running role.',
  }),
  BOARD_PORT: v(port(), { group: 'Operations', default: '3000', doc: 'Port of Bull Board.' }),
  BOARD_HOST: v(str(), {
    group: 'Operations',
    default: '127.0.0.1',
    doc: 'Address Bull Board binds to. Anything but loopback requires BOARD_USERNAME and BOARD_PASSWORD.',
  }),
  BOARD_USERNAME: v(str(), { group: 'Operations', doc: 'Bull Board basic-auth user.' }),
  BOARD_PASSWORD: v(secret(), {
    group: 'Operations',
    secret: true,
    doc: 'Bull Board basic-auth password. Off loopback: at least 12 characters, and not change-me.',
  }),
  BOARD_READ_ONLY: v(bool(), {
    group: 'Operations',
    default: 'true',
    doc: 'Bull Board shows the queues but changes nothing. false: retrying parked items, promoting delayed ones and removing delivered ones are allowed; anything that could drop an item (clean of other states, empty, remove, pause, add, edit) is refused either way.',
  }),
  LOG_LEVEL: v(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
    group: 'Operations',
    default: 'info',
    doc: 'Log level (JSON lines on stdout).',
  }),
  SANDBOX_CALLTOUCH_PORT: v(port(), {
    group: 'Sandbox',
    default: '18080',
    doc: 'Port of the Calltouch stand-in (ATS and API paths).',
  }),
  SANDBOX_MCN_PORT: v(port(), {
    group: 'Sandbox',
    default: '18081',
    doc: 'Port of the MCN stand-in (paths under /v2/rest).',
  }),
  SANDBOX_EVENTS_URL: v(url(), {
    group: 'Sandbox',
    doc: "Base URL of Touchline's public HTTP role (crm-listener, or all), e.g. http://127.0.0.1:8080, for `touchline sandbox` to send events to, as MCN and Calltouch would: with MCN_WEBHOOK_SECRET set, each call that ends posts to /v1/mcn/events; with CALLTOUCH_WEBHOOK_SECRET set, each new lead goes to /v1/calltouch/events?secret=…. Unset: no events (the polls alone read).",
  }),
  SANDBOX_CALLTOUCH_ARRIVAL_JITTER_MS: v(int({ min: 0, max: 10_000 }), {
    group: 'Sandbox',
    default: '0',
    doc: "Network jitter the Calltouch stand-in plays: each request reaches its rate window after a seeded random delay of 0 to this many ms, so requests sent evenly arrive unevenly (the benchmark's `--jitter`).",
  }),
} as const;

export type VariableName = keyof typeof VARIABLES;
type Schemas = { [K in VariableName]: (typeof VARIABLES)[K]['schema'] };

/** The zod schema of each variable, for role schemas to pick from. */
export const vars = Object.fromEntries(
  Object.entries(VARIABLES).map(([name, entry]) => [name, entry.schema]),
) as Schemas;

/** Documentation of each variable (for `.env.example` and `docs/configuration.md`). */
export const variableDocs = Object.entries(VARIABLES).map(([name, entry]) => ({
  name,
  ...entry.meta,
}));
