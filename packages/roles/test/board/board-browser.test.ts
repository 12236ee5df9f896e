import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queue } from 'bullmq';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { parseConfig, schemas } from '@touchline/config';
import { TEST_REDIS_URL, freePort, useTestRedis, waitFor } from '@touchline/testing';
import { boardRole } from '../../src/index.ts';
import { startRole, type TestRole } from '../run-role.ts';
import { SECRET, seedCalls } from './seed.ts';

/** Debian's chromium (`apt-get install chromium`); a downloaded browser is never used. */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCREENSHOT = `${ROOT}test-results/board.png`;
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `board browser test skipped: ${CHROMIUM} is missing (install it with apt-get install -y chromium)`,
  );
}

const { redis, prefix } = useTestRedis('board-ui');
const username = 'ops';
const password = 'board-ui-password';
let queue: Queue;
let board: TestRole;
let browser: Browser;
let context: BrowserContext;

describe.skipIf(!hasChromium)('Bull Board in a real browser', () => {
  beforeAll(async () => {
    queue = await seedCalls(redis, prefix);
    board = await startRole(
      boardRole(),
      parseConfig(schemas.board, {
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'error',
        BOARD_PORT: String(await freePort()),
        METRICS_PORT: String(await freePort()),
        BOARD_USERNAME: username,
        BOARD_PASSWORD: password,
        BOARD_READ_ONLY: 'false',
      }),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({
      httpCredentials: { username, password },
      viewport: { width: 1440, height: 900 },
    });
    // Loopback only: the UI's web-font request (and anything else) never leaves the machine.
    await context.route('**/*', (route) =>
      ['127.0.0.1', 'localhost'].includes(new URL(route.request().url()).hostname)
        ? route.continue()
        : route.abort(),
    );
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await board?.stop();
    await queue?.close();
  });

  it('refuses a browser without the credentials', async () => {
    const anonymous = await browser.newContext();
    try {
      const page = await anonymous.newPage();
      // Headless Chromium has no login prompt: the 401 challenge fails the navigation.
      await expect(page.goto(board.url('board'))).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
    } finally {
      await anonymous.close();
    }
  });

  it('logs in, shows the queues, opens the parked call, and retries it', async () => {
    const page = await context.newPage();
    const res = await page.goto(board.url('board'));
    expect(res?.status()).toBe(200);

    // The overview: all three queues, and the parked call one click away.
    for (const name of ['calls', 'orders', 'leads']) {
      await expect
        .poll(() => page.locator(`a[href="/queue/${name}"]`).count(), { timeout: 15_000 })
        .toBeGreaterThan(0);
    }
    await page.locator('a[href="/queue/calls?status=failed"]').first().click();

    // The parked item with its reason, secrets redacted, and its data.
    const card = page.locator('text=bad-1').first();
    await card.waitFor({ timeout: 15_000 });
    await page.getByText('clientPhoneNumber is invalid').first().waitFor();
    const text = await page.locator('body').innerText();
    expect(text).toContain('MCN calls waiting for the Calltouch import');
    expect(text).toContain('apikey=[REDACTED]');
    expect(text).not.toContain(SECRET);
    await mkdir(`${ROOT}test-results`, { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByText('[REDACTED]').first().waitFor();
    expect(await page.locator('body').innerText()).not.toContain(SECRET);

    // The job card's Retry button (an icon with a "Retry" tooltip, next to the job id).
    const retry = page
      .locator('button:has(svg.lucide-refresh-cw)')
      .filter({ hasNotText: 'Retry all' })
      .last();
    await retry.hover();
    await page.getByText('Retry', { exact: true }).waitFor();
    await retry.click();
    await page.getByText('Are you sure that you want to retry this job?').waitFor();
    await page.getByRole('button', { name: 'Confirm' }).click();

    await waitFor(async () => (await queue.getJobState('bad-1')) !== 'failed', {
      timeoutMs: 10_000,
      message: 'bad-1 out of the failed state',
    });
    expect(await queue.getJobState('bad-1')).toBe('waiting');
    expect(await queue.getFailedCount()).toBe(0);
    expect(existsSync(SCREENSHOT)).toBe(true);
    await page.close();
  });
});
