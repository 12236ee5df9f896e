import type { Logger } from '@touchline/logger';
import type { Component } from './component.ts';

export interface RunningRole {
  /** Resolves when the role has shut down (after a signal or `stop()`). */
  readonly done: Promise<void>;
  stop(reason?: string): Promise<void>;
}

export interface RunRoleOptions {
  readonly name: string;
  readonly logger: Logger;
  /** Started in order, closed in reverse: list the ops server first and producers last. */
  readonly components: readonly Component[];
  /** Process signal handling; off in tests that run several roles in one process. */
  readonly handleSignals?: boolean;
  /** Longest graceful shutdown before the process exits anyway. */
  readonly shutdownTimeoutMs?: number;
}

/**
 * The one shutdown path: components start in order; on SIGTERM/SIGINT they close in reverse
 * (stop producing, drain workers, close queues and Redis, stop the ops server last). A second
 * signal forces exit. Every close step runs even if an earlier one throws.
 */
export async function runRole(options: RunRoleOptions): Promise<RunningRole> {
  const { name, logger, components, handleSignals = true, shutdownTimeoutMs = 30_000 } = options;
  const started: Component[] = [];
  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const stop = (reason = 'stop requested'): Promise<void> =>
    (stopping ??= (async () => {
      logger.info({ reason }, `${name} shutting down`);
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: shutdownTimeoutMs }, `${name} shutdown timed out, exiting`);
        process.exit(1);
      }, shutdownTimeoutMs);
      timer.unref();
      for (const component of [...started].reverse()) {
        try {
          await component.close();
        } catch (err) {
          logger.error({ err, component: component.name }, 'error while closing');
        }
      }
      clearTimeout(timer);
      logger.info(`${name} stopped`);
      if (handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      resolveDone();
    })());

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: forcing exit');
      process.exit(130);
    }
    void stop(signal);
  };
  if (handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  for (const component of components) {
    try {
      await component.start();
      started.push(component);
    } catch (err) {
      logger.error({ err, component: component.name }, `${name} failed to start`);
      await stop('start failed');
      throw err;
    }
  }
  logger.info({ components: components.map((c) => c.name) }, `${name} started`);
  return { done, stop };
}
