import type { CalltouchEndpoint, CallsMode } from './endpoints.ts';
import type { CalltouchCall } from './call.ts';

/**
 * Pure builders of the HTTP requests the client sends: URL, method, headers, body. Kept apart
 * from the transport so the wire formats (docs/calls.md, docs/crm-orders.md, docs/leads.md) can be read (and tested) in one place.
 */
export interface WireRequest {
  endpoint: CalltouchEndpoint;
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  json?: unknown;
}

export interface WireSettings {
  apiUrl: string;
  atsUrl: string;
  siteId: string;
  apiToken: string;
  atsCode?: string | undefined;
  atsToken?: string | undefined;
  crmName: string;
}

const base = (root: string, path: string): URL => new URL(`${root.replace(/\/+$/, '')}${path}`);

const apiHeaders = (s: WireSettings): Record<string, string> => ({
  'Access-Token': s.apiToken,
  SiteId: s.siteId,
});

const atsUrl = (s: WireSettings): URL => {
  if (!s.atsCode || !s.atsToken) throw new Error('the PBX import modes need atsCode and atsToken');
  const url = base(
    s.atsUrl,
    `/event-service/platform/${encodeURIComponent(s.atsCode)}/inbound-call`,
  );
  url.searchParams.set('apikey', s.atsToken);
  return url;
};

/** The call import request of `mode` (pbx-single takes exactly one call). */
export function toCallsRequest(
  mode: CallsMode,
  calls: readonly CalltouchCall[],
  s: WireSettings,
): WireRequest {
  if (mode === 'lead-import') {
    return {
      endpoint: 'calls_import',
      method: 'POST',
      url: base(s.apiUrl, '/lead-service/v1/api/call/import'),
      headers: apiHeaders(s),
      json: { calls },
    };
  }
  // Custom sources belong to the lead import; the PBX import attributes by number.
  const pbxCalls = calls.map(({ customSources: _drop, ...call }) => call);
  if (mode === 'pbx-batch') {
    return {
      endpoint: 'calls_import',
      method: 'POST',
      url: atsUrl(s),
      headers: {},
      json: { calls: pbxCalls },
    };
  }
  const [call] = pbxCalls;
  if (!call || pbxCalls.length !== 1)
    throw new Error('pbx-single sends exactly one call per request');
  const url = atsUrl(s);
  // The documented telemirfact GET; parameter names from the PBX import document, which has
  // no manager parameter, so `manager` is not sent in this mode. The recording URL goes as
  // `callrecordurl`, percent-encoded like every value (its own `?sig=` must not split).
  const params: Record<string, string> = {
    model: 'telemirfact',
    callid: call.referenceId,
    callerid: call.clientPhoneNumber,
    phonenumber: call.callCenterPhoneNumber,
    destphonenumber: call.callCenterPhoneNumber,
    date: call.callStartTime,
    duration: String(call.duration),
    waitingtime: String(call.waitingTime),
    status: call.status,
    ...(call.recordUrl ? { callrecordurl: call.recordUrl } : {}),
  };
  // Encoded as in the document's example (`date=2019-02-27%2012:03:00`), not with `+` for spaces.
  url.search = `${url.search}&${Object.entries(params)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&')}`;
  return { endpoint: 'calls_import', method: 'GET', url, headers: {} };
}

export function toOrdersRequest(
  endpoint: 'orders_create' | 'orders_update',
  orders: readonly unknown[],
  s: WireSettings,
): WireRequest {
  const action = endpoint === 'orders_create' ? 'create' : 'update';
  return {
    endpoint,
    method: 'POST',
    url: base(s.apiUrl, `/lead-service/v1/api/client-order/${action}`),
    headers: apiHeaders(s),
    json: { crm: s.crmName, orders },
  };
}

export interface RequestsQuery {
  /** `mm/dd/yyyy`. */
  dateFrom: string;
  dateTo: string;
  /** `hh:mm:ss`; with timeTo they bound one continuous range. */
  timeFrom?: string;
  timeTo?: string;
  /** Extra switches such as `withRequestTags`. */
  flags?: Record<string, boolean>;
}

export function toRequestsExport(query: RequestsQuery, s: WireSettings): WireRequest {
  const url = base(s.apiUrl, '/calls-service/RestAPI/requests');
  url.searchParams.set('clientApiId', s.apiToken);
  url.searchParams.set('siteId', s.siteId);
  url.searchParams.set('dateFrom', query.dateFrom);
  url.searchParams.set('dateTo', query.dateTo);
  if (query.timeFrom !== undefined) url.searchParams.set('timeFrom', query.timeFrom);
  if (query.timeTo !== undefined) url.searchParams.set('timeTo', query.timeTo);
  for (const [flag, on] of Object.entries(query.flags ?? {}))
    url.searchParams.set(flag, String(on));
  return { endpoint: 'requests_export', method: 'GET', url, headers: {} };
}
