import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCrm, type FakeCrm } from '../src/demo/fake-crm.ts';

/**
 * The demo's CRM checks lead deliveries as docs/leads.md says a receiver should: the
 * timestamped signature, with a tolerance (issue 12 item 13). The signatures here are computed
 * by hand from the document, so the test checks the document too.
 */
const SECRET = 'demo-leads-secret-0123';
let crm: FakeCrm;

beforeAll(async () => {
  // No deals: the listener it would post to is not running.
  crm = await startFakeCrm({
    listenerUrl: () => 'http://127.0.0.1:9',
    webhookSecret: 'unused-webhook-secret',
    leadsSecret: SECRET,
    dealsPerSecond: 0,
  });
});
afterAll(() => crm?.close());

const body = JSON.stringify({ requestId: '145507', subject: 'Заявка' });
const sign = (t: number, text = body, secret = SECRET) =>
  `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${text}`).digest('hex')}`;
const legacy = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const post = (headers: Record<string, string>, text = body) =>
  fetch(`${crm.url}/leads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': '145507', ...headers },
    body: text,
  });
const now = () => Math.floor(Date.now() / 1000);

describe('the demo CRM verifies lead signatures', () => {
  it('takes a fresh timestamped signature', async () => {
    const res = await post({
      'x-touchline-signature': legacy,
      'x-touchline-timestamped-signature': sign(now()),
    });
    expect(res.status).toBe(200);
    expect(crm.leads.received).toBe(1);
  });

  it('refuses a replay past the tolerance, a tampered body and the body signature alone', async () => {
    const bad = crm.leads.badSignature;
    const captured = sign(now() - 301);
    expect((await post({ 'x-touchline-timestamped-signature': captured })).status).toBe(401);
    expect((await post({ 'x-touchline-timestamped-signature': sign(now() + 301) })).status).toBe(
      401,
    );
    const tampered = body.replace('145507', '145508');
    expect(
      (await post({ 'x-touchline-timestamped-signature': sign(now()) }, tampered)).status,
    ).toBe(401);
    expect((await post({ 'x-touchline-signature': legacy })).status).toBe(401);
    expect(crm.leads.badSignature).toBe(bad + 4);
    expect(crm.leads.received).toBe(1);
  });
});
