import { redactText } from '@touchline/logger';
import type { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  /** The environment variable at fault. */
  readonly variable: string;
  readonly message: string;
}

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|KEY/i;

/** Thrown when the environment does not satisfy a role's schema; lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
  }
}

/**
 * Validates `env` against `schema` and returns the typed configuration. Pure: reads nothing
 * but its arguments. Every problem is reported in one {@link ConfigError}; values of secret
 * variables are never echoed.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue): ConfigProblem => {
    const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
    const raw = issue.path.length === 1 ? env[String(issue.path[0])] : undefined;
    // A URL may carry a password: redacted before it is shortened, so no part of it shows.
    const safe = raw === undefined ? undefined : redactText(raw);
    const shown =
      safe !== undefined && safe !== '' && !SECRET_NAME.test(variable)
        ? ` (got ${JSON.stringify(safe.length > 60 ? `${safe.slice(0, 60)}…` : safe)})`
        : '';
    return { variable, message: `${issue.message}${shown}` };
  });
  // One line per variable, in a stable order, so the message reads like a checklist.
  const seen = new Set<string>();
  const unique = problems
    .filter((p) => {
      const key = `${p.variable}\u0000${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.variable.localeCompare(b.variable));
  throw new ConfigError(unique);
}
