import { DateTime } from 'luxon';
import { parseConfig, schemas, type LeadsConfig } from '@touchline/config';
import type { CalltouchStandIn } from '@touchline/sandbox';

export const ZONE = 'Europe/Moscow';
export const SECRET = 'leads-webhook-SECRET-5d1e';

/** An instant given as local time of the Calltouch account (Europe/Moscow). */
export const at = (iso: string): number => DateTime.fromISO(iso, { zone: ZONE }).toMillis();

/** The leads role's configuration, parsed the way the role parses its environment. */
export function leadsConfig(
  standIn: Pick<CalltouchStandIn, 'url'>,
  env: Record<string, string | undefined>,
): LeadsConfig {
  return parseConfig(schemas.leads, {
    CALLTOUCH_API_URL: standIn.url,
    CALLTOUCH_ATS_URL: standIn.url,
    CALLTOUCH_SITE_ID: 'sandbox',
    CALLTOUCH_API_TOKEN: 'sandbox',
    CALLTOUCH_TIMEZONE: ZONE,
    CALLTOUCH_RATE_LIMIT: '50',
    CALLTOUCH_RATE_MARGIN_MS: '5',
    CALLTOUCH_TIMEOUT_MS: '5000',
    LEADS_WEBHOOK_SECRET: SECRET,
    ...env,
  });
}

/** The ids the journal holds for `[fromMs, toMs]` (inclusive), as strings. */
export function journalIds(standIn: CalltouchStandIn, fromMs = 0, toMs = Infinity): string[] {
  return standIn
    .journal()
    .filter((r) => r.date >= fromMs && r.date <= toMs)
    .map((r) => String(r.requestId))
    .sort();
}
