import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../src/index.ts';

describe('createSandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({
      calltouch: { latencyMs: { min: 0, max: 0 }, apiToken: 'ct-token' },
      mcn: { historyDays: 0, liveCallsPerMinute: 0, token: 'mcn-token' },
    });
  });
  afterAll(() => sandbox.close());

  it('runs both stand-ins on their own ports and says how to reach them', async () => {
    const { env } = sandbox;
    expect(sandbox.calltouch.port).not.toBe(sandbox.mcn.port);
    expect(env).toMatchObject({
      CALLTOUCH_API_URL: sandbox.calltouch.url,
      CALLTOUCH_ATS_URL: sandbox.calltouch.url,
      CALLTOUCH_API_TOKEN: 'ct-token',
      CALLTOUCH_ATS_TOKEN: 'sandbox',
      MCN_API_URL: sandbox.mcn.url,
      MCN_API_TOKEN: 'mcn-token',
    });
    expect(env['MCN_API_URL']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/rest$/);
    const stats = await fetch(`${sandbox.calltouch.adminUrl}/stats`);
    expect(stats.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    const log = await fetch(
      `${env['MCN_API_URL']}/account/${env['MCN_ACCOUNT_ID']}/vpbx/${env['MCN_VPBX_ID']}/call_log?date_from=${today}&date_to=${today}`,
      { headers: { Authorization: `Bearer ${env['MCN_API_TOKEN']}` } },
    );
    expect(log.status).toBe(200);
  });

  it('closes both, idempotently', async () => {
    const other = await createSandbox({
      calltouch: { latencyMs: { min: 0, max: 0 } },
      mcn: { historyDays: 0 },
    });
    await Promise.all([other.close(), other.close()]);
    await expect(fetch(`${other.calltouch.adminUrl}/stats`)).rejects.toThrow();
    await expect(fetch(`${other.mcn.url}/`)).rejects.toThrow();
  });
});
