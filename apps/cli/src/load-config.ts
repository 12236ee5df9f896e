import { ConfigError, loadEnv, parseConfig } from '@touchline/config';
import type { z } from 'zod';

/** Exit status for a bad configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * Reads `.env` and the environment and validates them against a role's schema. A bad or
 * missing value stops the process with one message listing every problem.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  overrides: Record<string, string> = {},
): z.output<S> {
  try {
    return parseConfig(schema, { ...loadEnv(), ...overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `touchline: ${err.message}\nSee .env.example for every variable and its default.\n`,
      );
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
}
