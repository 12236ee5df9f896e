import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, freePort, memoryLogger, useTestRedis } from '@touchline/testing';
import { runRoles } from '@touchline/runtime';
import { EXIT } from '../src/exit-codes.ts';
import { exitCodeFor } from '../src/main.ts';
import { CLI, EMPTY_DIR, STACK_FRAME, runCli } from './run-cli.ts';

/**
 * Issue 16, items 12–15: `touchline --version`, one exit-code scheme for every command
 * (sysexits: 64 usage, 69 unavailable, 70 internal, 78 configuration), one-shot commands that
 * fail fast when Redis does not answer, and a port in use reported in one line naming its
 * variable. Everything runs the real CLI in a child process.
 */
const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const { prefix } = useTestRedis('exit');

/** Credentials every role accepts; nothing is sent with them. */
const ROLE_ENV = {
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_PREFIX: prefix,
  LOG_LEVEL: 'info',
  CALLTOUCH_SITE_ID: '1',
  CALLTOUCH_API_TOKEN: 'token',
  CALLTOUCH_ATS_CODE: 'ats',
  CALLTOUCH_ATS_TOKEN: 'token',
  CALLTOUCH_API_URL: 'http://127.0.0.1:9',
  CALLTOUCH_ATS_URL: 'http://127.0.0.1:9',
  MCN_API_URL: 'http://127.0.0.1:9',
  MCN_API_TOKEN: 'token',
  MCN_ACCOUNT_ID: '1',
  MCN_VPBX_ID: '1',
  CRM_WEBHOOK_SECRET: 'a-crm-secret-of-sixteen-chars',
  BOARD_HOST: '127.0.0.1',
};

describe('touchline --version', () => {
  it.each([['--version'], ['-V']])(
    '%s prints the version of apps/cli/package.json',
    async (flag) => {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    },
  );
});

describe('usage errors exit 64', () => {
  it.each([
    [[] as string[], /Usage: touchline/],
    [['nosuch'], /unknown command 'nosuch'/],
    [['status', '--bogus'], /unknown option '--bogus'/],
    [['backfill'], /required option '--from <date>' not specified/],
    [['backfill', '--from', '2024-03-01'], /required option '--to <date>' not specified/],
    [['replay', '--flow', 'nope'], /Allowed choices are calls, orders, leads/],
    [
      ['backfill', '--from', '2024-02-31', '--to', '2024-03-01'],
      /date YYYY-MM-DD that exists, got "2024-02-31"/,
    ],
    [['backfill', '--from', '2023-02-29', '--to', '2023-03-01'], /got "2023-02-29"/],
    [['backfill', '--from', '2024-3-1', '--to', '2024-03-01'], /got "2024-3-1"/],
    [
      ['backfill', '--from', '2024-03-02', '--to', '2024-03-01'],
      /--from 2024-03-02 is after --to 2024-03-01/,
    ],
    [['demo', '--workers', 'two'], /--workers expects a whole number/],
  ])('touchline %j', async (args, message) => {
    const run = await runCli(args);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(EXIT.USAGE);
  });

  it('a real leap day is a date', async () => {
    // Past the date check, the configuration is what is missing: 78, not 64.
    const run = await runCli(['backfill', '--from', '2024-02-29', '--to', '2024-02-29']);
    expect(run.code).toBe(EXIT.CONFIG);
  });

  it('--help and help exit 0 and list the exit codes', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const code of ['64', '69', '70', '78'])
      expect(help.stdout).toMatch(new RegExp(`^  ${code} `, 'm'));
    expect((await runCli(['help', 'backfill'])).code).toBe(0);
    expect((await runCli(['backfill', '--help'])).stdout).toMatch(/--json/);
  });
});

describe('configuration errors exit 78', () => {
  it.each([
    ['worker'],
    ['status'],
    ['replay'],
    ['backfill', '--from', '2024-03-01', '--to', '2024-03-01'],
  ])('touchline %s with a bad variable lists every problem in one message', async (...args) => {
    const run = await runCli(args, { REDIS_URL: 'http://not-redis', CALLTOUCH_RATE_LIMIT: 'fast' });
    expect(run.code).toBe(EXIT.CONFIG);
    expect(run.stderr).toMatch(new RegExp(`^touchline ${args[0]}: Invalid configuration`));
    expect(run.stderr).toMatch(/REDIS_URL/);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('one-shot commands fail fast when Redis does not answer (exit 69)', () => {
  it.each([
    [['status']],
    [['status', '--json']],
    [['replay']],
    [['replay', '--json', '--flow', 'calls']],
    [['backfill', '--from', '2024-03-01', '--to', '2024-03-01']],
  ])('touchline %j', async (args) => {
    const closed = await freePort();
    const run = await runCli(args, { ...ROLE_ENV, REDIS_URL: `redis://127.0.0.1:${closed}` });
    expect(run.code).toBe(EXIT.UNAVAILABLE);
    expect(run.stderr).toMatch(
      new RegExp(`Redis at redis://127.0.0.1:${closed}.* (is )?unreachable: .*ECONNREFUSED`),
    );
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stdout).toBe('');
    // It says so at once, however long a role would keep reconnecting.
    expect(run.ms).toBeLessThan(10_000);
  });
});

describe('a port in use stops a role with one line naming its variable (exit 78)', () => {
  const occupy = (): Promise<{ server: Server; port: number }> =>
    new Promise((resolve) => {
      const server = createServer();
      server.listen(0, '0.0.0.0', () => {
        const address = server.address();
        resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
      });
    });

  it.each([
    ['worker', 'METRICS_PORT'],
    ['crm-listener', 'CRM_LISTENER_PORT'],
    ['board', 'BOARD_PORT'],
    ['all', 'CRM_LISTENER_PORT'],
  ])('touchline %s, %s in use', async (role, variable) => {
    const { server, port } = await occupy();
    try {
      const ports: Record<string, string> = {
        METRICS_PORT: String(await freePort()),
        CRM_LISTENER_PORT: String(await freePort()),
        BOARD_PORT: String(await freePort()),
        [variable]: String(port),
      };
      const run = await runCli([role], { ...ROLE_ENV, ...ports });
      expect(run.code).toBe(EXIT.CONFIG);
      expect(run.stderr).toBe(
        `touchline ${role}: ${variable} ${port} is in use (EADDRINUSE); set another port\n`,
      );
      // The log says it once too, as a structured line without a stack trace.
      const failure = run.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['level'] === 'error');
      expect(failure).toEqual([
        expect.objectContaining({ variable, port, code: 'EADDRINUSE' }) as unknown,
      ]);
      expect(run.stdout).not.toMatch(/"stack"/);
    } finally {
      server.close();
    }
  });
});

describe('an internal error exits 70 with its stack trace', () => {
  it('a role whose start throws unexpectedly', async () => {
    const { logger, lines } = memoryLogger();
    const failed = await runRoles({
      name: 'broken',
      logger,
      handleSignals: false,
      config: {
        REDIS_URL: TEST_REDIS_URL,
        LOG_LEVEL: 'info',
        METRICS_PORT: 0,
        QUEUE_PREFIX: prefix,
      },
      roles: [
        {
          name: 'broken',
          secrets: () => [],
          parts: () => [
            {
              name: 'broken-part',
              start: () => Promise.reject(new TypeError('cannot read the thing')),
              close: () => Promise.resolve(),
            },
          ],
        },
      ],
    }).catch((err: unknown) => err);
    let written = '';
    expect(exitCodeFor(failed, 'broken', (text) => (written += text))).toBe(EXIT.SOFTWARE);
    expect(written).toMatch(
      /^touchline broken: internal error: TypeError: cannot read the thing\n\s+at /,
    );
    expect(lines().some((l) => l.msg === 'broken failed to start' && l.err !== undefined)).toBe(
      true,
    );
  });
});

describe('a reader that goes away', () => {
  it('`touchline --help | head -1`: the command ends quietly with 0, no EPIPE stack trace', async () => {
    const child = spawn(process.execPath, [CLI, '--help'], {
      cwd: EMPTY_DIR,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader closes its end before the command writes a byte, as `head` does once it has
    // its lines.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
