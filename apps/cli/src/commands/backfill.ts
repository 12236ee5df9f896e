import type { BackfillConfig } from '@touchline/config';
import { createLogger } from '@touchline/logger';
import { runBackfill } from '@touchline/roles';

/** Enqueues a past range and prints a summary; the exit status says whether it all went in. */
export async function backfill(config: BackfillConfig, from: string, to: string): Promise<number> {
  if (from > to) {
    process.stderr.write(`touchline backfill: --from ${from} is after --to ${to}\n`);
    return 64;
  }
  try {
    const logger = createLogger({
      level: config.LOG_LEVEL,
      name: 'backfill',
      secrets: [config.MCN_API_TOKEN],
    });
    const summary = await runBackfill(config, logger, from, to, (day, s) => {
      process.stderr.write(`${day}: read ${s.read} so far, enqueued ${s.enqueued}\n`);
    });
    const lines = [
      `backfill ${from} … ${to} (${config.MCN_TIMEZONE})`,
      `  calls read:  ${summary.read}`,
      `  enqueued:    ${summary.enqueued}`,
      `  already seen: ${summary.duplicate}`,
      `  skipped:     ${summary.skipped}${formatReasons(summary.skippedBy)}`,
      `  rejected:    ${summary.rejected}${formatReasons(summary.rejectedBy)} (parked in the calls queue with the reason)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(
      `touchline backfill: stopped: ${(err as Error).message}\nRun it again: calls already enqueued are not enqueued twice.\n`,
    );
    return 1;
  }
}

const formatReasons = (by: Record<string, number>) => {
  const entries = Object.entries(by);
  return entries.length ? ` (${entries.map(([r, n]) => `${r}: ${n}`).join(', ')})` : '';
};
