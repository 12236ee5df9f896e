import { ConfigError, loadEnv, parseConfig } from '@touchline/config';
import type { z } from 'zod';
import { CommandFailure, EXIT } from './exit-codes.ts';

/**
 * Reads `.env` and the environment and validates them against a role's schema. A bad or
 * missing value stops the command (exit 78) with one message listing every problem.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  overrides: Record<string, string> = {},
): z.output<S> {
  try {
    return parseConfig(schema, { ...loadEnv(), ...overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new CommandFailure(
        `${err.message}\nSee .env.example for every variable and its default.`,
        EXIT.CONFIG,
      );
    }
    throw err;
  }
}
