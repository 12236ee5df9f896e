import type { CalltouchStackOptions } from '@touchline/calltouch-delivery';
import type { ToCalltouchCallOptions } from '@touchline/calls';
import type { McnPollerConfig, WorkerConfig } from '@touchline/config';
import type { McnClientOptions } from '@touchline/mcn';
import { createRecordingLinker, type SigningKeys } from '@touchline/recordings';

/**
 * The configuration, mapped onto the options each package defines for itself: the packages
 * never read the environment, the roles translate it once, here.
 */

/** The Calltouch variables a stack reads (worker, leads, status). */
export type CalltouchStackConfig = Pick<
  WorkerConfig,
  | 'QUEUE_PREFIX'
  | 'CALLTOUCH_API_URL'
  | 'CALLTOUCH_ATS_URL'
  | 'CALLTOUCH_SITE_ID'
  | 'CALLTOUCH_API_TOKEN'
  | 'CALLTOUCH_TIMEZONE'
  | 'CALLTOUCH_RATE_LIMIT'
  | 'CALLTOUCH_RATE_MARGIN_MS'
  | 'CALLTOUCH_EGRESS_ID'
  | 'CALLTOUCH_POINTS_DAILY_BUDGET'
  | 'CALLTOUCH_POINTS_COST'
  | 'CALLTOUCH_POINTS_PAUSE_AT'
  | 'CALLTOUCH_POINTS_EXHAUSTED_STATUS'
  | 'CALLTOUCH_POINTS_EXHAUSTED_PATTERN'
  | 'CALLTOUCH_TIMEOUT_MS'
> &
  Partial<
    Pick<WorkerConfig, 'CALLTOUCH_CALLS_MODE' | 'CALLTOUCH_ATS_CODE' | 'CALLTOUCH_ATS_TOKEN'>
  >;

/** The points budget as the environment sets it (`touchline status` reads it too). */
export function pointsOptions(
  config: Pick<
    CalltouchStackConfig,
    | 'CALLTOUCH_TIMEZONE'
    | 'CALLTOUCH_POINTS_COST'
    | 'CALLTOUCH_POINTS_DAILY_BUDGET'
    | 'CALLTOUCH_POINTS_PAUSE_AT'
  >,
): NonNullable<CalltouchStackOptions['points']> {
  return {
    timeZone: config.CALLTOUCH_TIMEZONE,
    costs: config.CALLTOUCH_POINTS_COST,
    budget: config.CALLTOUCH_POINTS_DAILY_BUDGET,
    thresholds: config.CALLTOUCH_POINTS_PAUSE_AT,
  };
}

export function calltouchStackOptions(config: CalltouchStackConfig): CalltouchStackOptions {
  return {
    prefix: config.QUEUE_PREFIX,
    client: {
      apiUrl: config.CALLTOUCH_API_URL,
      atsUrl: config.CALLTOUCH_ATS_URL,
      siteId: config.CALLTOUCH_SITE_ID,
      apiToken: config.CALLTOUCH_API_TOKEN,
      // A role that never imports calls (leads) asks for no ATS credentials.
      callsMode: config.CALLTOUCH_CALLS_MODE ?? 'lead-import',
      atsCode: config.CALLTOUCH_ATS_CODE,
      atsToken: config.CALLTOUCH_ATS_TOKEN,
      timeoutMs: config.CALLTOUCH_TIMEOUT_MS,
    },
    limiter: {
      egressId: config.CALLTOUCH_EGRESS_ID,
      limit: config.CALLTOUCH_RATE_LIMIT,
      marginMs: config.CALLTOUCH_RATE_MARGIN_MS,
    },
    points: pointsOptions(config),
    exhausted: {
      statuses: config.CALLTOUCH_POINTS_EXHAUSTED_STATUS,
      pattern: config.CALLTOUCH_POINTS_EXHAUSTED_PATTERN,
    },
  };
}

export function mcnClientOptions(
  config: Pick<McnPollerConfig, 'MCN_API_URL' | 'MCN_API_TOKEN' | 'MCN_ACCOUNT_ID' | 'MCN_VPBX_ID'>,
): McnClientOptions {
  return {
    apiUrl: config.MCN_API_URL,
    token: config.MCN_API_TOKEN,
    accountId: config.MCN_ACCOUNT_ID,
    vpbxId: config.MCN_VPBX_ID,
  };
}

export function callMappingOptions(config: {
  MCN_TIMEZONE: string;
  CALLTOUCH_TIMEZONE: string;
  RECORDINGS_PUBLIC_URL?: string | undefined;
  RECORDINGS_SIGNING_KEY?: SigningKeys | undefined;
  RECORDINGS_URL_TTL?: number | undefined;
}): ToCalltouchCallOptions {
  // Recordings on: answered, recorded calls carry a signed link to the public HTTP role.
  const recordings =
    config.RECORDINGS_PUBLIC_URL && config.RECORDINGS_SIGNING_KEY
      ? createRecordingLinker(config.RECORDINGS_PUBLIC_URL, config.RECORDINGS_SIGNING_KEY, {
          ttlMs: config.RECORDINGS_URL_TTL,
        })
      : undefined;
  return {
    mcnTimeZone: config.MCN_TIMEZONE,
    calltouchTimeZone: config.CALLTOUCH_TIMEZONE,
    ...(recordings ? { recordings } : {}),
  };
}
