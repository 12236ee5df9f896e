import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference, renderEnvExample } from '../src/render-docs.ts';
import { CONFIG_DOC_PATH, ENV_EXAMPLE_PATH } from '../src/write-docs.ts';

const SPEC_VARIABLES =
  `REDIS_URL CALLTOUCH_API_URL CALLTOUCH_ATS_URL CALLTOUCH_SITE_ID CALLTOUCH_API_TOKEN
CALLTOUCH_ATS_CODE CALLTOUCH_ATS_TOKEN CALLTOUCH_TIMEZONE CALLTOUCH_RATE_LIMIT CALLTOUCH_EGRESS_ID
CALLTOUCH_CALLS_MODE CALLTOUCH_POINTS_DAILY_BUDGET CALLTOUCH_POINTS_COST CHUNK_MAX_WAIT_MS QUEUE_PREFIX
MCN_API_URL MCN_API_TOKEN MCN_ACCOUNT_ID MCN_VPBX_ID MCN_TIMEZONE MCN_POLL_INTERVAL_SECONDS
CRM_LISTENER_PORT CRM_WEBHOOK_SECRET LEADS_WEBHOOK_URL LEADS_WEBHOOK_SECRET LEADS_POLL_INTERVAL_SECONDS
METRICS_PORT BOARD_PORT BOARD_USERNAME BOARD_PASSWORD LOG_LEVEL SANDBOX_CALLTOUCH_PORT SANDBOX_MCN_PORT
RECORDINGS_PUBLIC_URL RECORDINGS_SIGNING_KEY`.split(/\s+/);

describe('generated configuration docs', () => {
  it('.env.example is up to date (run `npm run docs:config`)', () => {
    expect(readFileSync(ENV_EXAMPLE_PATH, 'utf8')).toBe(renderEnvExample());
  });
  it('docs/configuration.md is up to date (run `npm run docs:config`)', () => {
    expect(readFileSync(CONFIG_DOC_PATH, 'utf8')).toBe(renderConfigReference());
  });
  it('documents every variable of the SPEC', () => {
    const example = renderEnvExample();
    for (const name of SPEC_VARIABLES) expect(example).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
  });
});
