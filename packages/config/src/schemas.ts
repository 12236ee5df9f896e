import { z } from 'zod';
import { vars } from './variables.ts';

/**
 * One schema per role. Each takes only the variables that role reads, so a worker never
 * asks for the CRM secret and the board never asks for Calltouch credentials.
 */

/**
 * Cross-variable rules run even when single variables are already invalid, so that one
 * message lists every problem (zod skips refinements after the first failure by default).
 */
const always = { when: () => true };

const base = {
  REDIS_URL: vars.REDIS_URL,
  QUEUE_PREFIX: vars.QUEUE_PREFIX,
  LOG_LEVEL: vars.LOG_LEVEL,
  METRICS_PORT: vars.METRICS_PORT,
};

const calltouchShared = {
  CALLTOUCH_API_URL: vars.CALLTOUCH_API_URL,
  CALLTOUCH_ATS_URL: vars.CALLTOUCH_ATS_URL,
  CALLTOUCH_TIMEZONE: vars.CALLTOUCH_TIMEZONE,
  CALLTOUCH_RATE_LIMIT: vars.CALLTOUCH_RATE_LIMIT,
  CALLTOUCH_RATE_MARGIN_MS: vars.CALLTOUCH_RATE_MARGIN_MS,
  CALLTOUCH_EGRESS_ID: vars.CALLTOUCH_EGRESS_ID,
  CALLTOUCH_POINTS_DAILY_BUDGET: vars.CALLTOUCH_POINTS_DAILY_BUDGET.optional(),
  CALLTOUCH_POINTS_COST: vars.CALLTOUCH_POINTS_COST,
  CALLTOUCH_POINTS_PAUSE_AT: vars.CALLTOUCH_POINTS_PAUSE_AT,
  CALLTOUCH_POINTS_EXHAUSTED_STATUS: vars.CALLTOUCH_POINTS_EXHAUSTED_STATUS,
  CALLTOUCH_POINTS_EXHAUSTED_PATTERN: vars.CALLTOUCH_POINTS_EXHAUSTED_PATTERN,
  CALLTOUCH_TIMEOUT_MS: vars.CALLTOUCH_TIMEOUT_MS,
};

const calltouchApiCredentials = {
  CALLTOUCH_SITE_ID: vars.CALLTOUCH_SITE_ID,
  CALLTOUCH_API_TOKEN: vars.CALLTOUCH_API_TOKEN,
};

const mcn = {
  MCN_API_URL: vars.MCN_API_URL,
  MCN_API_TOKEN: vars.MCN_API_TOKEN,
  MCN_ACCOUNT_ID: vars.MCN_ACCOUNT_ID,
  MCN_VPBX_ID: vars.MCN_VPBX_ID,
  MCN_TIMEZONE: vars.MCN_TIMEZONE,
  MCN_POLL_INTERVAL_SECONDS: vars.MCN_POLL_INTERVAL_SECONDS,
  CALLTOUCH_TIMEZONE: vars.CALLTOUCH_TIMEZONE,
  CALLS_LIVE_WINDOW_MINUTES: vars.CALLS_LIVE_WINDOW_MINUTES,
};

/** How the poller reads: cheap tail reads, full reads on a slower schedule, event triggers. */
const mcnReads = {
  MCN_TAIL_OVERLAP_MINUTES: vars.MCN_TAIL_OVERLAP_MINUTES,
  MCN_FULL_READ_INTERVAL_MINUTES: vars.MCN_FULL_READ_INTERVAL_MINUTES,
  MCN_EVENTS_MIN_GAP_MS: vars.MCN_EVENTS_MIN_GAP_MS,
  MCN_EVENTS_MAX_REQUESTS_PER_MINUTE: vars.MCN_EVENTS_MAX_REQUESTS_PER_MINUTE,
};

const worker = {
  ...base,
  ...calltouchShared,
  ...calltouchApiCredentials,
  CALLTOUCH_CALLS_MODE: vars.CALLTOUCH_CALLS_MODE,
  CALLTOUCH_ATS_CODE: vars.CALLTOUCH_ATS_CODE.optional(),
  CALLTOUCH_ATS_TOKEN: vars.CALLTOUCH_ATS_TOKEN.optional(),
  CHUNK_MAX_WAIT_MS: vars.CHUNK_MAX_WAIT_MS,
  WORKER_BATCHES_IN_FLIGHT: vars.WORKER_BATCHES_IN_FLIGHT,
  WORKER_CLAIM_TIMEOUT_MS: vars.WORKER_CLAIM_TIMEOUT_MS,
  MCN_TIMEZONE: vars.MCN_TIMEZONE,
};

/** The PBX import modes need the ATS login and token; lead-import does not. */
const requireAtsCredentials = (
  cfg: {
    CALLTOUCH_CALLS_MODE: string;
    CALLTOUCH_ATS_CODE?: string | undefined;
    CALLTOUCH_ATS_TOKEN?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void => {
  if (cfg.CALLTOUCH_CALLS_MODE === 'lead-import') return;
  for (const key of ['CALLTOUCH_ATS_CODE', 'CALLTOUCH_ATS_TOKEN'] as const) {
    if (!cfg[key]) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `required when CALLTOUCH_CALLS_MODE is ${cfg.CALLTOUCH_CALLS_MODE}`,
      });
    }
  }
};

/** Recording links, made where calls are mapped (the worker). */
const recordingLinks = {
  RECORDINGS_PUBLIC_URL: vars.RECORDINGS_PUBLIC_URL.optional(),
  RECORDINGS_SIGNING_KEY: vars.RECORDINGS_SIGNING_KEY.optional(),
  RECORDINGS_URL_TTL: vars.RECORDINGS_URL_TTL.optional(),
};

/** Recordings served by the public HTTP role, which then needs MCN's credentials. */
const recordingsServed = {
  ...recordingLinks,
  RECORDINGS_MAX_STREAMS: vars.RECORDINGS_MAX_STREAMS,
};

/** MCN for the recordings proxy: needed only when recordings are on. */
const mcnForRecordings = {
  MCN_API_URL: vars.MCN_API_URL,
  MCN_API_TOKEN: vars.MCN_API_TOKEN.optional(),
  MCN_ACCOUNT_ID: vars.MCN_ACCOUNT_ID.optional(),
  MCN_VPBX_ID: vars.MCN_VPBX_ID.optional(),
};

const requireSigningKey = (
  cfg: { RECORDINGS_PUBLIC_URL?: string | undefined; RECORDINGS_SIGNING_KEY?: unknown },
  ctx: z.RefinementCtx,
): void => {
  if (cfg.RECORDINGS_PUBLIC_URL && cfg.RECORDINGS_SIGNING_KEY === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['RECORDINGS_SIGNING_KEY'],
      message: 'required when RECORDINGS_PUBLIC_URL is set (recording URLs are signed with it)',
    });
  }
};

const requireMcnForRecordings = (
  cfg: {
    RECORDINGS_PUBLIC_URL?: string | undefined;
    MCN_API_TOKEN?: string | undefined;
    MCN_ACCOUNT_ID?: string | undefined;
    MCN_VPBX_ID?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void => {
  if (!cfg.RECORDINGS_PUBLIC_URL) return;
  for (const key of ['MCN_API_TOKEN', 'MCN_ACCOUNT_ID', 'MCN_VPBX_ID'] as const) {
    if (!cfg[key]) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'required when RECORDINGS_PUBLIC_URL is set (recordings are fetched from MCN)',
      });
    }
  }
};

const leads = {
  ...base,
  ...calltouchShared,
  ...calltouchApiCredentials,
  LEADS_WEBHOOK_URL: vars.LEADS_WEBHOOK_URL.optional(),
  LEADS_WEBHOOK_SECRET: vars.LEADS_WEBHOOK_SECRET.optional(),
  LEADS_POLL_INTERVAL_SECONDS: vars.LEADS_POLL_INTERVAL_SECONDS,
  LEADS_REQUEST_FLAGS: vars.LEADS_REQUEST_FLAGS,
  LEADS_EVENTS_MIN_GAP_SECONDS: vars.LEADS_EVENTS_MIN_GAP_SECONDS,
};

const requireLeadsSecret = (
  cfg: { LEADS_WEBHOOK_URL?: string | undefined; LEADS_WEBHOOK_SECRET?: string | undefined },
  ctx: z.RefinementCtx,
): void => {
  if (cfg.LEADS_WEBHOOK_URL && !cfg.LEADS_WEBHOOK_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['LEADS_WEBHOOK_SECRET'],
      message: 'required when LEADS_WEBHOOK_URL is set (deliveries are signed with it)',
    });
  }
};

const crmListener = {
  ...base,
  CRM_LISTENER_PORT: vars.CRM_LISTENER_PORT,
  CRM_WEBHOOK_SECRET: vars.CRM_WEBHOOK_SECRET,
  CALLTOUCH_TIMEZONE: vars.CALLTOUCH_TIMEZONE,
  MCN_WEBHOOK_SECRET: vars.MCN_WEBHOOK_SECRET.optional(),
  MCN_WEBHOOK_ALLOW_CIDRS: vars.MCN_WEBHOOK_ALLOW_CIDRS.optional(),
  CALLTOUCH_WEBHOOK_SECRET: vars.CALLTOUCH_WEBHOOK_SECRET.optional(),
  HTTP_TRUST_PROXY: vars.HTTP_TRUST_PROXY,
};

const board = {
  ...base,
  BOARD_PORT: vars.BOARD_PORT,
  BOARD_HOST: vars.BOARD_HOST,
  BOARD_USERNAME: vars.BOARD_USERNAME.optional(),
  BOARD_PASSWORD: vars.BOARD_PASSWORD.optional(),
  BOARD_READ_ONLY: vars.BOARD_READ_ONLY,
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** Shortest board password accepted off loopback (packages/board/src/board-server.ts agrees). */
export const BOARD_PASSWORD_MIN_LENGTH = 12;
/** What the example files ship (infra/k8s/base/secret.example.yaml): never a real password. */
const EXAMPLE_PASSWORDS = new Set(['change-me']);

const requireBoardAuth = (
  cfg: {
    BOARD_HOST: string;
    BOARD_USERNAME?: string | undefined;
    BOARD_PASSWORD?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void => {
  if (LOOPBACK.has(cfg.BOARD_HOST)) return;
  for (const key of ['BOARD_USERNAME', 'BOARD_PASSWORD'] as const) {
    if (!cfg[key]) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `required when Bull Board binds to ${cfg.BOARD_HOST} (not loopback)`,
      });
    }
  }
  // Reachable from the network, the board shows every queued phone number and deal, and a
  // writable one retries items: a guessable password is a configuration error, not a warning.
  const password = cfg.BOARD_PASSWORD?.trim();
  if (
    password &&
    (password.length < BOARD_PASSWORD_MIN_LENGTH || EXAMPLE_PASSWORDS.has(password.toLowerCase()))
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['BOARD_PASSWORD'],
      message: `must have at least ${BOARD_PASSWORD_MIN_LENGTH} characters and not be the example change-me when Bull Board binds to ${cfg.BOARD_HOST} (not loopback)`,
    });
  }
};

export const schemas = {
  /** Commands that only read Redis: status, replay. */
  base: z.object(base),
  status: z.object({
    ...base,
    CALLTOUCH_TIMEZONE: vars.CALLTOUCH_TIMEZONE,
    CALLTOUCH_POINTS_DAILY_BUDGET: vars.CALLTOUCH_POINTS_DAILY_BUDGET.optional(),
    CALLTOUCH_POINTS_COST: vars.CALLTOUCH_POINTS_COST,
    CALLTOUCH_POINTS_PAUSE_AT: vars.CALLTOUCH_POINTS_PAUSE_AT,
    CALLTOUCH_EGRESS_ID: vars.CALLTOUCH_EGRESS_ID,
  }),
  worker: z.object({ ...worker, ...recordingLinks }).superRefine((cfg, ctx) => {
    requireAtsCredentials(cfg, ctx);
    requireSigningKey(cfg, ctx);
  }, always),
  mcnPoller: z.object({ ...base, ...mcn, ...mcnReads }),
  backfill: z.object({ ...base, ...mcn }),
  crmListener: z
    .object({ ...crmListener, ...recordingsServed, ...mcnForRecordings })
    .superRefine((cfg, ctx) => {
      requireSigningKey(cfg, ctx);
      requireMcnForRecordings(cfg, ctx);
    }, always),
  leads: z.object(leads).superRefine(requireLeadsSecret, always),
  board: z.object(board).superRefine(requireBoardAuth, always),
  sandbox: z.object({
    SANDBOX_CALLTOUCH_PORT: vars.SANDBOX_CALLTOUCH_PORT,
    SANDBOX_MCN_PORT: vars.SANDBOX_MCN_PORT,
    SANDBOX_CALLTOUCH_ARRIVAL_JITTER_MS: vars.SANDBOX_CALLTOUCH_ARRIVAL_JITTER_MS,
    SANDBOX_EVENTS_URL: vars.SANDBOX_EVENTS_URL.optional(),
    MCN_WEBHOOK_SECRET: vars.MCN_WEBHOOK_SECRET.optional(),
    CALLTOUCH_WEBHOOK_SECRET: vars.CALLTOUCH_WEBHOOK_SECRET.optional(),
    LOG_LEVEL: vars.LOG_LEVEL,
    CALLTOUCH_SITE_ID: vars.CALLTOUCH_SITE_ID.prefault('sandbox'),
    CALLTOUCH_API_TOKEN: vars.CALLTOUCH_API_TOKEN.prefault('sandbox'),
    CALLTOUCH_ATS_CODE: vars.CALLTOUCH_ATS_CODE.prefault('sandbox'),
    CALLTOUCH_ATS_TOKEN: vars.CALLTOUCH_ATS_TOKEN.prefault('sandbox'),
    MCN_API_TOKEN: vars.MCN_API_TOKEN.prefault('sandbox'),
    MCN_ACCOUNT_ID: vars.MCN_ACCOUNT_ID.prefault('sandbox'),
    MCN_VPBX_ID: vars.MCN_VPBX_ID.prefault('sandbox'),
    MCN_TIMEZONE: vars.MCN_TIMEZONE,
  }),
  /** Every role in one process (`touchline all`). */
  all: z
    .object({
      ...worker,
      ...leads,
      ...mcn,
      ...mcnReads,
      ...crmListener,
      ...board,
      ...recordingsServed,
    })
    .superRefine((cfg, ctx) => {
      requireAtsCredentials(cfg, ctx);
      requireLeadsSecret(cfg, ctx);
      requireBoardAuth(cfg, ctx);
      requireSigningKey(cfg, ctx);
    }, always),
};

export type BaseConfig = z.output<typeof schemas.base>;
export type WorkerConfig = z.output<typeof schemas.worker>;
export type McnPollerConfig = z.output<typeof schemas.mcnPoller>;
export type BackfillConfig = z.output<typeof schemas.backfill>;
export type CrmListenerConfig = z.output<typeof schemas.crmListener>;
export type LeadsConfig = z.output<typeof schemas.leads>;
export type BoardConfig = z.output<typeof schemas.board>;
export type SandboxConfig = z.output<typeof schemas.sandbox>;
export type AllConfig = z.output<typeof schemas.all>;
export type StatusConfig = z.output<typeof schemas.status>;
