import { ONE_SHOT, connectRedis } from '@touchline/redis';
import type { StatusConfig } from '@touchline/config';
import { redactText } from '@touchline/logger';
import { collectStatus, type TouchlineStatus } from '../status/collect-status.ts';
import { formatStatus } from '../status/format-status.ts';

/** Exit status when Redis does not answer (sysexits EX_UNAVAILABLE). */
export const EXIT_UNAVAILABLE = 69;

export interface StatusIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Colour only on a terminal, and never with NO_COLOR. */
  readonly color: boolean;
}

const processIo = (): StatusIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color: Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'],
});

export interface StatusOptions {
  readonly json?: boolean;
  /** How long the limiter's rate is sampled, ms (default 1,000). */
  readonly rateSampleMs?: number;
}

/** JSON for scripts: absent values are `null` rather than missing keys. */
export const toStatusJson = (status: TouchlineStatus): string =>
  `${JSON.stringify(status, (_key, value: unknown) => (value === undefined ? null : value), 2)}\n`;

/**
 * `touchline status`: reads the operator summary from Redis and prints it (or JSON). Exits 0
 * when it could read; when Redis does not answer it says so on stderr and exits 69. It never
 * waits for Redis: a status command that hangs during an outage is worse than none.
 */
export async function status(
  config: StatusConfig,
  options: StatusOptions = {},
  io: StatusIo = processIo(),
): Promise<number> {
  const redis = connectRedis(config.REDIS_URL, {
    ...ONE_SHOT,
    connectionName: 'touchline-status',
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
  });
  let lastError: Error | undefined;
  redis.on('error', (err: Error) => (lastError = err));
  const where = redactText(config.REDIS_URL);
  try {
    try {
      await redis.connect();
    } catch (err) {
      io.stderr(
        `touchline status: Redis at ${where} is unreachable: ${(lastError ?? (err as Error)).message}\n`,
      );
      return EXIT_UNAVAILABLE;
    }
    const result = await collectStatus({
      redis,
      config,
      ...(options.rateSampleMs !== undefined ? { rateSampleMs: options.rateSampleMs } : {}),
    });
    io.stdout(options.json ? toStatusJson(result) : formatStatus(result, { color: io.color }));
    return 0;
  } catch (err) {
    io.stderr(
      `touchline status: could not read from Redis at ${where}: ${(err as Error).message}\n`,
    );
    return EXIT_UNAVAILABLE;
  } finally {
    redis.disconnect();
  }
}
