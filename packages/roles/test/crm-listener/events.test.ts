import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { parseConfig, schemas } from '@touchline/config';
import { pollerKeys } from '@touchline/calls';
import { leadsKeys } from '@touchline/leads';
import { TEST_REDIS_URL, useTestRedis, waitFor } from '@touchline/testing';
import { crmListenerRole } from '../../src/index.ts';
import { startRole, type TestRole } from '../run-role.ts';

const MCN_SECRET = 'mcn-webhook-secret-7f3a';
const CALLTOUCH_SECRET = 'calltouch-webhook-secret-2c9e';
const { prefix } = useTestRedis('events');
// A connection of its own: a subscribed connection can run no other command.
const subscriber = new Redis(TEST_REDIS_URL);
const heard: string[] = [];
const roles: TestRole[] = [];
beforeAll(async () => {
  subscriber.on('message', (channel: string) => heard.push(channel));
  await subscriber.subscribe(pollerKeys(prefix).wake, leadsKeys(prefix).wake);
});
afterEach(async () => {
  for (const role of roles.splice(0)) await role.stop();
});
afterAll(() => {
  subscriber.disconnect();
});

async function start(env: Record<string, string> = {}) {
  const role = await startRole(
    crmListenerRole({ host: '127.0.0.1' }),
    parseConfig(schemas.crmListener, {
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      METRICS_PORT: '0',
      CRM_LISTENER_PORT: '0',
      CRM_WEBHOOK_SECRET: 'crm-secret-0123456789',
      MCN_WEBHOOK_SECRET: MCN_SECRET,
      CALLTOUCH_WEBHOOK_SECRET: CALLTOUCH_SECRET,
      ...env,
    }),
  );
  roles.push(role);
  const url = role.url('crm-listener');
  await waitFor(async () => (await fetch(`${url}/readyz`)).ok, { message: 'listener ready' });
  return { role, url };
}

const mcnEvent = (fields: Record<string, unknown>) => ({
  event_type: 'onInCallingEnd',
  abon: '108',
  did: '+74959301987',
  did_mcn: '74951059995',
  call_id: '12-1520008586.19367271',
  account_id: 10123,
  ...fields,
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/mcn/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const counted = async (role: TestRole, source: string, outcome: string) => {
  const text = await (await fetch(`${role.url('ops-server')}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('touchline_events_total{') &&
        l.includes(`source="${source}"`) &&
        l.includes(`outcome="${outcome}"`),
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};

describe('MCN and Calltouch events on the public HTTP role', () => {
  it('MCN: a wrong or missing secret is 401 and asks for nothing; an end event asks for a read', async () => {
    const { role, url } = await start();
    heard.length = 0;
    expect((await post(url, mcnEvent({ secret: 'wrong-secret-000000' }))).status).toBe(401);
    expect((await post(url, mcnEvent({}))).status).toBe(401);
    expect((await post(url, 'not json')).status).toBe(401);
    expect(await counted(role, 'mcn', 'unauthorized')).toBe(3);
    expect(
      (await post(url, mcnEvent({ secret: MCN_SECRET, event_type: 'onInCallingStart' }))).status,
    ).toBe(200);
    expect(await counted(role, 'mcn', 'ignored')).toBe(1);
    const ok = await post(url, mcnEvent({ secret: MCN_SECRET }));
    expect(ok.status).toBe(200);
    await waitFor(() => heard.includes(pollerKeys(prefix).wake), { message: 'a read asked for' });
    expect(heard).toEqual([pollerKeys(prefix).wake]);
    expect(await counted(role, 'mcn', 'accepted')).toBe(1);
  });

  it('MCN: a body beyond a few KiB is refused unread', async () => {
    const { url } = await start();
    const res = await post(url, mcnEvent({ secret: MCN_SECRET, pad: 'x'.repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
  });

  it('MCN: only the allowed sources, and X-Forwarded-For only from a trusted proxy', async () => {
    const allow = { MCN_WEBHOOK_ALLOW_CIDRS: '85.94.49.0/25,85.94.32.0/24' };
    const direct = await start(allow);
    const event = mcnEvent({ secret: MCN_SECRET });
    // The socket's peer is 127.0.0.1: not MCN, whatever a header says.
    expect((await post(direct.url, event)).status).toBe(401);
    expect((await post(direct.url, event, { 'x-forwarded-for': '85.94.49.7' })).status).toBe(401);
    const proxied = await start({ ...allow, HTTP_TRUST_PROXY: '127.0.0.1' });
    expect((await post(proxied.url, event, { 'x-forwarded-for': '85.94.49.7' })).status).toBe(200);
    expect((await post(proxied.url, event, { 'x-forwarded-for': '10.1.2.3' })).status).toBe(401);
  });

  it('Calltouch: the secret in the URL, GET or POST form; a read of the journal asked for', async () => {
    const { role, url } = await start();
    heard.length = 0;
    const events = `${url}/v1/calltouch/events`;
    expect((await fetch(`${events}?requestId=1`)).status).toBe(401);
    expect((await fetch(`${events}?secret=nope&requestId=1`)).status).toBe(401);
    expect(heard).toEqual([]);
    const viaGet = await fetch(`${events}?secret=${CALLTOUCH_SECRET}&requestId=1&subject=x`);
    expect(viaGet.status).toBe(200);
    const viaPost = await fetch(`${events}?secret=${CALLTOUCH_SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'requestId=2&subject=y',
    });
    expect(viaPost.status).toBe(200);
    await waitFor(() => heard.length === 2, { message: 'two reads asked for' });
    expect(heard).toEqual([leadsKeys(prefix).wake, leadsKeys(prefix).wake]);
    expect(await counted(role, 'calltouch', 'unauthorized')).toBe(2);
    expect(await counted(role, 'calltouch', 'accepted')).toBe(2);
  });
});
