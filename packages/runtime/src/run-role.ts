import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@touchline/logger';
import type { Component } from './component.ts';
import { createHeartbeat } from './heartbeat.ts';
import { createOpsServer } from './ops-server.ts';
import { createRoleContext, type RoleContext } from './role-context.ts';
import { isStartupError } from './startup-error.ts';

/** The variables every long-running role reads. */
export interface RoleProcessConfig {
  readonly REDIS_URL: string;
  readonly LOG_LEVEL: string;
  readonly METRICS_PORT: number;
  readonly QUEUE_PREFIX: string;
}

/**
 * One role of the pipeline (`worker`, `mcn-poller`, `crm-listener`, `leads`, `board`): what it
 * builds on a process's context. A process runs one role, or several (`touchline all`), through
 * {@link runRoles}: the same definitions either way.
 */
export interface RoleDefinition<C> {
  /** The role's name: the heartbeat `touchline status` shows, the logger's name alone. */
  readonly name: string;
  /** The role's secrets in `config`, scrubbed from every log line. */
  secrets(config: C): readonly (string | undefined)[];
  /**
   * The role's components, started in order after the ops server, Redis and the heartbeat, and
   * closed in reverse: list what consumes before what produces, so producers stop first.
   */
  parts(config: C, ctx: RoleContext): readonly Component[];
  /**
   * Longest graceful stop of the role, ms: what it must wait for (a Calltouch request in
   * flight, a webhook POST). The process gives up after the longest of its roles' (default 10 s).
   */
  stopWithinMs?(config: C): number;
}

export interface RunRolesOptions<C extends RoleProcessConfig> {
  /** The process's name in logs: the role's own, or `all`. */
  readonly name: string;
  /** Built in order; their parts close in reverse (list producers last). */
  readonly roles: readonly RoleDefinition<C>[];
  readonly config: C;
  /** Log here instead of a new logger (the demo's log file; tests read the lines). */
  readonly logger?: Logger;
  /** Interface of the ops server (`/metrics`, `/healthz`, `/readyz`); default all. */
  readonly metricsHost?: string;
  /** Process signal handling; off in tests that run several processes' roles in one. */
  readonly handleSignals?: boolean;
}

export interface RunningRoles {
  readonly ctx: RoleContext;
  /** Resolves when the process has stopped (a signal or `stop()`). */
  readonly done: Promise<void>;
  stop(reason?: string): Promise<void>;
  /** The port a component listens on, by component name (`ops-server`, `crm-listener`, …). */
  port(component: string): number | undefined;
}

/** A stop that takes longer than this past the roles' own limits exits anyway. */
const STOP_MARGIN_MS = 5_000;
const DEFAULT_STOP_MS = 10_000;
/** A process still alive this long after every component closed exits (its status kept). */
const EXIT_AFTER_STOP_MS = 2_000;
/** How long a stop during the start waits for the component starting to finish, ms. */
const START_GRACE_MS = 2_000;

/**
 * The one way a role runs, alone or with others in one process:
 * 1. the ops server first, so `/healthz` and `/metrics` answer as soon as the process starts;
 * 2. one Redis connection, logger and metrics registry for every role of the process;
 * 3. a heartbeat per role (what `touchline status` lists), then each role's parts;
 * and the one shutdown path: on SIGTERM/SIGINT (or `stop()`) the components close in reverse —
 * producers stop, consumers hand back what has not left and wait for what has, queues and
 * Redis close, the ops server stops last. Every close step runs even if an earlier one throws.
 * A second signal exits at once with status 130; a stop that outlasts the longest `stopWithinMs`
 * of the roles exits with 70. An unhandled rejection is logged and stops the process the same
 * way (status 70). Once every component has closed, a handle left open cannot keep the process
 * alive past a short bound.
 */
export async function runRoles<C extends RoleProcessConfig>(
  options: RunRolesOptions<C>,
): Promise<RunningRoles> {
  const { name, roles, config, handleSignals = true } = options;
  const { ctx, redisComponent, sharedComponent } = createRoleContext({
    name,
    redisUrl: config.REDIS_URL,
    logLevel: config.LOG_LEVEL,
    secrets: roles.flatMap((role) => role.secrets(config)),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const { logger } = ctx;
  const roleParts = roles.map((role) => ({
    role,
    heartbeat: createHeartbeat({
      redis: ctx.redis,
      prefix: config.QUEUE_PREFIX,
      role: role.name,
      logger,
    }),
    parts: role.parts(config, ctx),
  }));
  const all = roleParts.flatMap(({ heartbeat, parts }) => [heartbeat, ...parts]);
  const ops = createOpsServer({
    port: config.METRICS_PORT,
    ...(options.metricsHost ? { host: options.metricsHost } : {}),
    registry: ctx.registry,
    checks: Object.fromEntries(
      [redisComponent, ...all]
        .filter((c) => c.ready !== undefined)
        .map((c) => [c.name, () => c.ready?.() ?? Promise.resolve(true)]),
    ),
  });
  const components: Component[] = [ops, redisComponent, sharedComponent, ...all];
  const stopWithinMs =
    Math.max(DEFAULT_STOP_MS, ...roles.map((role) => role.stopWithinMs?.(config) ?? 0)) +
    STOP_MARGIN_MS;

  const running = await runComponents({
    name,
    logger,
    components,
    handleSignals,
    stopWithinMs,
    ready: `${name} started`,
    fields: { roles: roles.map((r) => r.name) },
  });
  return {
    ctx,
    ...running,
    port: (component) => components.find((c) => c.name === component)?.port?.(),
  };
}

export interface RunComponentsOptions {
  readonly name: string;
  readonly logger: Logger;
  /** Started in order, closed in reverse. */
  readonly components: readonly Component[];
  readonly handleSignals?: boolean;
  /** A stop that takes longer exits the process with status 70. Default 15 s. */
  readonly stopWithinMs?: number;
  /** The message logged once every component has started, and its fields. */
  readonly ready?: string;
  readonly fields?: Record<string, unknown>;
}

/**
 * The lifecycle under {@link runRoles} (and the sandbox, which has no Redis): components start
 * in order and close in reverse on SIGTERM/SIGINT or `stop()`.
 */
export async function runComponents(
  options: RunComponentsOptions,
): Promise<Pick<RunningRoles, 'done' | 'stop'>> {
  const { name, logger, components, handleSignals = true } = options;
  const stopWithinMs = options.stopWithinMs ?? DEFAULT_STOP_MS + STOP_MARGIN_MS;
  const started: Component[] = [];
  /** The component whose start is under way, and its start settled (ok or not). */
  let starting: { component: Component; settled: Promise<unknown> } | undefined;
  const closed = new Set<Component>();
  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const stop = (
    reason = 'stop requested',
    closing: readonly Component[] = started,
  ): Promise<void> =>
    (stopping ??= (async () => {
      logger.info({ reason }, `${name} shutting down`);
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: stopWithinMs }, `${name} did not stop in time; exiting`);
        // sysexits EX_SOFTWARE: a stop is meant to finish within the roles' own limits.
        process.exit(70);
      }, stopWithinMs);
      timer.unref();
      // A stop during the start (a signal while Redis is still connecting): no later component
      // starts; the one starting gets a moment to finish, then closes with those before it.
      const current = starting;
      if (current) {
        await Promise.race([current.settled, sleep(START_GRACE_MS, undefined, { ref: false })]);
      }
      const toClose = [...closing];
      if (current && !toClose.includes(current.component)) toClose.push(current.component);
      for (const component of toClose.reverse()) {
        if (closed.has(component)) continue;
        closed.add(component);
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
        process.off('unhandledRejection', onUnhandled);
        // Everything is closed: the process ends by itself. Should a handle outlive its
        // component (a timer, a socket a library keeps), it ends anyway, with the same status.
        setTimeout(() => {
          logger.warn(
            // What is still open, by kind (Timeout, TCPSocketWrap, …): where to look.
            { afterMs: EXIT_AFTER_STOP_MS, open: process.getActiveResourcesInfo() },
            `${name}: handles still open after stop; exiting`,
          );
          process.exit();
        }, EXIT_AFTER_STOP_MS).unref();
      }
      resolveDone();
    })());

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    void stop(signal);
  };
  const onUnhandled = (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled rejection: stopping');
    process.exitCode = 70;
    void stop('unhandled rejection');
  };
  if (handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('unhandledRejection', onUnhandled);
  }

  for (const component of components) {
    if (stopping) break;
    const settled = component.start();
    starting = { component, settled: settled.catch(() => undefined) };
    try {
      await settled;
      started.push(component);
    } catch (err) {
      // Closed by a stop while it started: that is the stop's business, not a failure.
      if (stopping) break;
      if (isStartupError(err)) {
        // Something to change in the configuration (a port in use): one line that says what,
        // no stack trace. Anything else is a bug, and its stack trace is what fixes it.
        logger.error(
          { component: component.name, ...err.fields },
          `${name} cannot start: ${err.message}`,
        );
      } else {
        logger.error({ err, component: component.name }, `${name} failed to start`);
      }
      // Every component, not only those started: what they hold from their construction (the
      // Redis connection, queues) would keep the process alive after the failure.
      await stop('start failed', components);
      throw err;
    } finally {
      starting = undefined;
    }
  }
  if (stopping) {
    // Stopped before every component had started: nothing more starts, and what did is closed.
    await stopping;
    return { done, stop };
  }
  logger.info(options.fields ?? {}, options.ready ?? `${name} started`);
  return { done, stop };
}
