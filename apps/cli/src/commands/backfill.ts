import { daysBetween, type EnqueueSummary } from '@touchline/calls';
import type { BackfillConfig } from '@touchline/config';
import { createLogger } from '@touchline/logger';
import { isMcnError } from '@touchline/mcn';
import { runBackfill } from '@touchline/roles';
import { CommandFailure, EXIT } from '../exit-codes.ts';
import { connectOnce, redisFailure } from '../one-shot-redis.ts';

export interface BackfillCommandOptions {
  /** Print the summary as JSON on stdout instead of text. */
  readonly json?: boolean;
}

/** What `touchline backfill --json` prints. */
export interface BackfillResult extends EnqueueSummary {
  readonly from: string;
  readonly to: string;
  readonly timeZone: string;
  readonly days: number;
  readonly seconds: number;
}

/** Where progress goes: stderr, rewritten in place when it is a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const RETRY_ADVICE = 'Run it again: calls already enqueued are not enqueued twice.';

/**
 * Progress of a backfill: days read, calls read and enqueued, and the read rate. On a terminal
 * one line rewritten in place; otherwise (a pipe, a log file) one plain line per day.
 */
export function createBackfillProgress(
  stream: ProgressStream,
  totalDays: number,
  now: () => number = Date.now,
) {
  const started = now();
  let drawn = false;
  return {
    day(day: string, index: number, s: EnqueueSummary): void {
      const seconds = Math.max((now() - started) / 1000, 0.001);
      const text =
        `backfill: ${index}/${totalDays} days read (${day}), ${s.read} calls read, ` +
        `${s.enqueued} enqueued, ${Math.round(s.read / seconds)} calls/s`;
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${text}`);
        drawn = true;
      } else {
        stream.write(`${text}\n`);
      }
    },
    /** Ends the rewritten line, so what follows starts on a line of its own. */
    done(): void {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/**
 * `touchline backfill`: enqueues a past range of MCN calls and prints a summary (text, or JSON
 * with `--json`), with progress on stderr. Exit 0 when the whole range is enqueued; 69 when
 * Redis or the MCN API does not answer (what is enqueued stays, and a second run skips it); 78
 * when MCN refuses the credentials. (A range that ends before it starts is refused in ../main.ts.)
 */
export async function backfill(
  config: BackfillConfig,
  from: string,
  to: string,
  options: BackfillCommandOptions = {},
): Promise<number> {
  const days = daysBetween(from, to);
  const redis = await connectOnce(config.REDIS_URL, 'touchline-backfill');
  // Log lines go to stderr: stdout is the summary (JSON with --json).
  const logger = createLogger({
    level: config.LOG_LEVEL,
    name: 'backfill',
    secrets: [config.MCN_API_TOKEN],
    destination: process.stderr,
  });
  const progress = createBackfillProgress(process.stderr, days.length);
  const started = Date.now();
  let done = 0;
  try {
    const summary = await runBackfill({
      config,
      logger,
      from,
      to,
      redis,
      onDay: (day, s) => progress.day(day, (done += 1), s),
    });
    progress.done();
    const result: BackfillResult = {
      from,
      to,
      timeZone: config.MCN_TIMEZONE,
      days: days.length,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      ...summary,
    };
    process.stdout.write(
      options.json ? `${JSON.stringify(result, null, 2)}\n` : formatText(result),
    );
    return EXIT.OK;
  } catch (err) {
    progress.done();
    const day = days[done] ?? to;
    if (isMcnError(err)) {
      throw new CommandFailure(
        err.code === 'UNAUTHORIZED'
          ? `MCN refused the credentials reading ${day}: ${err.message}. Check MCN_API_TOKEN, MCN_ACCOUNT_ID and MCN_VPBX_ID.`
          : `stopped reading ${day}: ${err.message}. ${RETRY_ADVICE}`,
        err.code === 'UNAUTHORIZED' ? EXIT.CONFIG : EXIT.UNAVAILABLE,
      );
    }
    throw redisFailure(redis, config.REDIS_URL, err, RETRY_ADVICE);
  } finally {
    redis.disconnect();
  }
}

const formatText = (r: BackfillResult): string =>
  [
    `backfill ${r.from} … ${r.to} (${r.timeZone}): ${r.days} day${r.days === 1 ? '' : 's'} in ${r.seconds} s`,
    `  calls read:   ${r.read}`,
    `  enqueued:     ${r.enqueued}`,
    `  already seen: ${r.duplicate}`,
    `  skipped:      ${r.skipped}${formatReasons(r.skippedBy)}`,
    `  rejected:     ${r.rejected}${formatReasons(r.rejectedBy)} (parked in the calls queue with the reason)`,
    '',
  ].join('\n');

const formatReasons = (by: Record<string, number>) => {
  const entries = Object.entries(by);
  return entries.length ? ` (${entries.map(([r, n]) => `${r}: ${n}`).join(', ')})` : '';
};
