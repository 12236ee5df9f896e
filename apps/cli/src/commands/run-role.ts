import type { z } from 'zod';
import { runRoles, type RoleDefinition, type RoleProcessConfig } from '@touchline/runtime';
import { loadConfig } from '../load-config.ts';

/**
 * Runs roles as this process until SIGTERM/SIGINT: the config of `schema` read from the
 * environment (or exit 78 listing every problem), then `runRoles`. Resolves when they stopped.
 * A start that fails rejects: with a StartupError (a port in use: exit 78, one line, see
 * packages/runtime/src/startup-error.ts) or with a bug (exit 70); ../main.ts reports either.
 */
export async function runRoleCommand<S extends z.ZodType<RoleProcessConfig>>(
  name: string,
  schema: S,
  roles: (config: z.output<S>) => readonly RoleDefinition<z.output<S>>[],
): Promise<void> {
  const config = loadConfig(schema);
  const running = await runRoles({ name, roles: roles(config), config });
  await running.done;
}
