import { describe, expect, it } from 'vitest';
import { toCallsRequest, toOrdersRequest, toRequestsExport } from '../src/wire.ts';
import type { CalltouchCall } from '../src/index.ts';

const settings = {
  apiUrl: 'https://api.example/',
  atsUrl: 'https://ats.example',
  siteId: '123',
  apiToken: 'api-token',
  atsCode: 'pbx login',
  atsToken: 'ats-token',
  crmName: 'CRM',
};
const call: CalltouchCall = {
  referenceId: 'ref-1',
  clientPhoneNumber: '79991234567',
  callCenterPhoneNumber: '74950000000',
  callStartTime: '2026-11-24 10:00:00',
  waitingTime: 5,
  duration: 65,
  status: 'successful',
  manager: 'Иванов',
  customSources: { source: 's', medium: 'm', campaign: 'c' },
};

describe('wire formats', () => {
  it('pbx-batch posts {calls} to the ATS path with apikey, without customSources', () => {
    const wire = toCallsRequest('pbx-batch', [call], settings);
    expect(wire.method).toBe('POST');
    expect(wire.url.pathname).toBe('/event-service/platform/pbx%20login/inbound-call');
    expect(wire.url.searchParams.get('apikey')).toBe('ats-token');
    const { customSources: _c, ...plain } = call;
    expect(wire.json).toEqual({ calls: [plain] });
  });

  it('pbx-single is the documented telemirfact GET', () => {
    const wire = toCallsRequest('pbx-single', [call], settings);
    expect(wire.method).toBe('GET');
    expect(Object.fromEntries(wire.url.searchParams)).toEqual({
      apikey: 'ats-token',
      model: 'telemirfact',
      callid: 'ref-1',
      callerid: '79991234567',
      phonenumber: '74950000000',
      destphonenumber: '74950000000',
      date: '2026-11-24 10:00:00',
      duration: '65',
      waitingtime: '5',
      status: 'successful',
    });
    expect(wire.url.search).toContain('date=2026-11-24%2010%3A00%3A00');
    expect(wire.url.search).not.toContain('+');
    expect(() => toCallsRequest('pbx-single', [call, call], settings)).toThrow(/exactly one/);
  });

  it('sends the recording URL as recordUrl in the JSON modes and callrecordurl in pbx-single', () => {
    const recordUrl =
      'https://touchline.example/v1/recordings/116-1.2~2F3.mp3?sig=v1.AbC-_x&exp=1790000000';
    const recorded = { ...call, recordUrl };
    const single = toCallsRequest('pbx-single', [recorded], settings);
    expect(single.url.searchParams.get('callrecordurl')).toBe(recordUrl);
    // Its own query is encoded inside ours: no stray sig= or exp= parameter of the import.
    expect(single.url.searchParams.get('sig')).toBeNull();
    expect(single.url.searchParams.get('exp')).toBeNull();
    expect(toCallsRequest('pbx-single', [call], settings).url.search).not.toContain(
      'callrecordurl',
    );
    const batch = toCallsRequest('pbx-batch', [recorded], settings);
    expect(batch.json).toEqual({ calls: [expect.objectContaining({ recordUrl })] });
    const lead = toCallsRequest('lead-import', [recorded], settings);
    expect(lead.json).toEqual({ calls: [recorded] });
  });

  it('lead-import posts to the API host with Access-Token and SiteId', () => {
    const wire = toCallsRequest('lead-import', [call], settings);
    expect(wire.url.href).toBe('https://api.example/lead-service/v1/api/call/import');
    expect(wire.headers).toEqual({ 'Access-Token': 'api-token', SiteId: '123' });
    expect(wire.json).toEqual({ calls: [call] });
  });

  it('orders go to client-order/create|update with {crm, orders}', () => {
    const wire = toOrdersRequest('orders_update', [{ orderNumber: '1' }], settings);
    expect(wire.url.pathname).toBe('/lead-service/v1/api/client-order/update');
    expect(wire.json).toEqual({ crm: 'CRM', orders: [{ orderNumber: '1' }] });
  });

  it('the requests export carries clientApiId, siteId, dates, times and flags', () => {
    const wire = toRequestsExport(
      {
        dateFrom: '11/24/2026',
        dateTo: '11/24/2026',
        timeFrom: '10:00:00',
        flags: { withRequestTags: true },
      },
      settings,
    );
    expect(wire.url.pathname).toBe('/calls-service/RestAPI/requests');
    expect(Object.fromEntries(wire.url.searchParams)).toEqual({
      clientApiId: 'api-token',
      siteId: '123',
      dateFrom: '11/24/2026',
      dateTo: '11/24/2026',
      timeFrom: '10:00:00',
      withRequestTags: 'true',
    });
  });
});
