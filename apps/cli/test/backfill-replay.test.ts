import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { callsFlowSpec } from '@touchline/calls';
import { createFlowQueue, toNewJob, addJobsAtomically } from '@touchline/queue';
import { createSandbox, type Sandbox } from '@touchline/sandbox';
import { TEST_REDIS_URL, useTestRedis } from '@touchline/testing';
import { createBackfillProgress, type BackfillResult } from '../src/commands/backfill.ts';
import type { ReplayResult } from '../src/commands/replay.ts';
import { CLI, EMPTY_DIR, runCli } from './run-cli.ts';

/**
 * Issue 16, item 17 (and 14): `backfill` and `replay` print a JSON summary with `--json`;
 * `backfill` shows its progress on stderr, rewritten in place on a terminal and a plain line
 * per day otherwise. The real CLI against the sandbox's MCN and the test Redis.
 */
const { redis, prefix } = useTestRedis('backfill');
let sandbox: Sandbox;
let env: Record<string, string>;

/** An MCN day `daysAgo` days before today in Moscow (UTC+3 all year). */
const moscowDay = (daysAgo: number) =>
  new Date(Date.now() + 3 * 3_600_000 - daysAgo * 86_400_000).toISOString().slice(0, 10);
const first = moscowDay(3);
const last = moscowDay(2);

beforeAll(async () => {
  sandbox = await createSandbox({
    mcn: { historyDays: 5, callsPerDay: 150, liveCallsPerMinute: 0 },
  });
  env = { ...sandbox.env, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'warn' };
});
afterAll(async () => {
  await sandbox?.close();
});

describe('touchline backfill', () => {
  it('--json prints the summary as JSON on stdout, progress as plain lines on stderr', async () => {
    const run = await runCli(['backfill', '--from', first, '--to', last, '--json'], env);
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toContain('\x1b[');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as BackfillResult;
    expect(result).toMatchObject({ from: first, to: last, timeZone: 'Europe/Moscow', days: 2 });
    expect(result.read).toBeGreaterThan(200);
    expect(result.enqueued).toBeGreaterThan(0);
    expect(result.read).toBe(result.enqueued + result.duplicate + result.skipped + result.rejected);
    expect(typeof result.seconds).toBe('number');
    const progress = run.stderr.trim().split('\n');
    expect(progress).toEqual([
      expect.stringMatching(
        new RegExp(
          `^backfill: 1/2 days read \\(${first}\\), \\d+ calls read, \\d+ enqueued, \\d+ calls/s$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^backfill: 2/2 days read \\(${last}\\), ${result.read} calls read, ${result.enqueued} enqueued, \\d+ calls/s$`,
        ),
      ),
    ]);

    // A second run enqueues nothing twice; the text summary says so.
    const again = await runCli(['backfill', '--from', first, '--to', last], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(`^backfill ${first} … ${last} \\(Europe/Moscow\\): 2 days`),
    );
    expect(again.stdout).toMatch(/^ {2}enqueued: {5}0$/m);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('on a terminal, progress is one line rewritten in place', async () => {
    // `script` gives the command a real pseudo-terminal, as an operator's shell does.
    const command = [process.execPath, CLI, 'backfill', '--from', first, '--to', last].join(' ');
    const screen = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qefc', command, '/dev/null'], {
        cwd: EMPTY_DIR,
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', () => resolve(out));
    });
    expect(screen).toContain(`\r\x1b[2Kbackfill: 1/2 days read (${first})`);
    expect(screen).toContain(`\r\x1b[2Kbackfill: 2/2 days read (${last})`);
    // The summary starts on a line of its own.
    expect(screen).toMatch(/calls\/s\r?\nbackfill \d{4}-/);
  });

  it('progress: the rate is calls read per second since the start', () => {
    let now = 0;
    const written: string[] = [];
    const progress = createBackfillProgress(
      { write: (t) => written.push(t), isTTY: false },
      3,
      () => now,
    );
    now = 2_000;
    progress.day('2024-03-01', 1, {
      read: 500,
      enqueued: 480,
      duplicate: 0,
      skipped: 20,
      rejected: 0,
      skippedBy: {},
      rejectedBy: {},
    });
    progress.done();
    expect(written).toEqual([
      'backfill: 1/3 days read (2024-03-01), 500 calls read, 480 enqueued, 250 calls/s\n',
    ]);
  });

  it('MCN refusing the credentials is a configuration error (78)', async () => {
    const run = await runCli(['backfill', '--from', first, '--to', first], {
      ...env,
      MCN_API_TOKEN: 'wrong',
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/MCN refused the credentials reading .*Check MCN_API_TOKEN/);
  });

  it('MCN not answering is a service unavailable (69), and says how to resume', async () => {
    const run = await runCli(['backfill', '--from', first, '--to', first], {
      ...env,
      MCN_API_URL: 'http://127.0.0.1:9/v2/rest',
    });
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/stopped reading \d{4}-\d{2}-\d{2}: .*Run it again/);
  });
});

describe('touchline replay', () => {
  it('--json prints what it moved back, by flow', async () => {
    // Two parked calls, as the worker parks them: failed at once, no attempts left to spend.
    const queue = createFlowQueue(callsFlowSpec, redis, prefix);
    const parked = ['replay-a', 'replay-b'];
    await addJobsAtomically(
      queue,
      parked.map((callid) =>
        toNewJob(callsFlowSpec, {
          mcn: {
            callid,
            type: 'inb',
            status: 'ANSWERED',
            date: '2024-03-01 10:00:00',
            answer_date: '',
            waittime: 1,
            talktime: 1,
            src_num: '79161234567',
            did: '',
            dst_name: '',
          },
        }),
      ),
    );
    const worker = new Worker(callsFlowSpec.name, null, {
      connection: redis,
      prefix,
      autorun: false,
    });
    for (let i = 0; i < parked.length; i += 1) {
      const job = await worker.getNextJob('test-token');
      job?.discard();
      await job?.moveToFailed(
        new Error('cannot map the MCN call: no called number'),
        'test-token',
        false,
      );
    }
    await worker.close();
    await queue.close();

    const run = await runCli(['replay', '--json'], env);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as ReplayResult;
    expect(result).toEqual({
      flows: [
        { flow: 'calls', moved: 2, gone: 0 },
        { flow: 'orders', moved: 0, gone: 0 },
        { flow: 'leads', moved: 0, gone: 0 },
      ],
      moved: 2,
    });
    const text = await runCli(['replay', '--flow', 'calls'], env);
    expect(text.stdout).toBe('calls: 0 parked items moved back to waiting\nreplayed 0 in all\n');
  });
});
