import type { Logger } from '@touchline/logger';
import {
  runRoles,
  type RoleDefinition,
  type RoleProcessConfig,
  type RunningRoles,
} from '@touchline/runtime';

/** A running role in the test's process: its port by component, and `url()` of a server. */
export interface TestRole extends RunningRoles {
  url(component: string): string;
}

/** Runs one role as `touchline <role>` would, minus signal handling, with probes on loopback. */
export async function startRole<C extends RoleProcessConfig>(
  role: RoleDefinition<C>,
  config: C,
  options: { logger?: Logger } = {},
): Promise<TestRole> {
  const running = await runRoles({
    name: role.name,
    roles: [role],
    config,
    handleSignals: false,
    metricsHost: '127.0.0.1',
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    ...running,
    url: (component) => `http://127.0.0.1:${running.port(component) ?? 0}`,
  };
}
