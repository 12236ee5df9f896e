import { createCalltouchStandIn, type CalltouchStandInOptions } from '../src/index.ts';

export const call = (n: number, extra: Record<string, unknown> = {}) => ({
  referenceId: `ref-${n}`,
  clientPhoneNumber: '79991234567',
  callCenterPhoneNumber: '74950000000',
  callStartTime: '2026-11-24 10:00:00',
  waitingTime: 5,
  duration: 65,
  status: 'successful',
  ...extra,
});

/** A stand-in with no latency, plus raw-HTTP helpers for its Calltouch paths. */
export async function startStandIn(options: CalltouchStandInOptions = {}) {
  const standIn = await createCalltouchStandIn({ latencyMs: { min: 0, max: 0 }, ...options });
  const { atsCode, atsToken, apiToken, siteId } = standIn.credentials;
  const ats = `${standIn.url}/event-service/platform/${atsCode}/inbound-call?apikey=${atsToken}`;
  const api = { 'Access-Token': apiToken, SiteId: siteId, 'content-type': 'application/json' };
  const post = (
    url: string,
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return {
    standIn,
    importCalls: (calls: unknown[]) => post(ats, { calls }),
    orders: (action: 'create' | 'update', orders: unknown[]) =>
      post(
        `${standIn.url}/lead-service/v1/api/client-order/${action}`,
        { crm: 'test', orders },
        api,
      ),
    exportRequests: (query: Record<string, string>) =>
      fetch(
        `${standIn.url}/calls-service/RestAPI/requests?${String(new URLSearchParams({ clientApiId: apiToken, siteId, ...query }))}`,
      ),
    admin: (path: string, body?: unknown) =>
      body === undefined
        ? fetch(`${standIn.adminUrl}${path}`)
        : post(`${standIn.adminUrl}${path}`, body),
  };
}
