import type { Queue } from 'bullmq';
import { createBoardServer, type BoardServer } from '@touchline/board';
import type { BoardConfig } from '@touchline/config';
import { FLOWS, QUEUE_DESCRIPTIONS, createFlowQueue } from '@touchline/pipeline';
import {
  createHeartbeat,
  createOpsServer,
  createRoleContext,
  runRole,
  type Component,
  type RoleContext,
  type RunningRole,
} from '@touchline/runtime';

/** What `createBoardParts` builds: the components, and the server for tests and `all`. */
export interface BoardParts {
  readonly components: Component[];
  readonly server: BoardServer;
  readonly queues: readonly Queue[];
}

/**
 * The board's components on a given context (alone in `touchline board`, or inside `touchline
 * all`): the three flow queues and Bull Board's server on BOARD_HOST:BOARD_PORT.
 */
export function createBoardParts(config: BoardConfig, ctx: RoleContext): Component[] {
  return createBoard(config, ctx).components;
}

/** Like {@link createBoardParts}, with the server and queues exposed. */
export function createBoard(config: BoardConfig, ctx: RoleContext): BoardParts {
  const queues = FLOWS.map((flow) => createFlowQueue(flow, ctx.redis, config.QUEUE_PREFIX));
  const server = createBoardServer({
    queues: queues.map((queue, i) => ({ queue, description: QUEUE_DESCRIPTIONS[FLOWS[i]!] })),
    port: config.BOARD_PORT,
    host: config.BOARD_HOST,
    readOnly: config.BOARD_READ_ONLY,
    auth:
      config.BOARD_USERNAME && config.BOARD_PASSWORD
        ? { username: config.BOARD_USERNAME, password: config.BOARD_PASSWORD }
        : undefined,
    checks: { redis: () => ctx.redisComponent.ready?.() ?? Promise.resolve(true) },
  });
  const queuesComponent: Component = {
    name: 'board-queues',
    async start() {},
    async close() {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
  // Closed in reverse: the server stops taking requests before its queues close.
  return { components: [queuesComponent, server], server, queues };
}

export interface BoardOptions {
  readonly handleSignals?: boolean;
}

/** A running `touchline board`, with its server (for the bound port in tests). */
export interface RunningBoard extends RunningRole {
  readonly server: BoardServer;
}

/** `touchline board`: Bull Board for every Touchline queue, plus the ops endpoints. */
export async function startBoard(
  config: BoardConfig,
  options: BoardOptions = {},
): Promise<RunningBoard> {
  const ctx = createRoleContext({
    role: 'board',
    redisUrl: config.REDIS_URL,
    logLevel: config.LOG_LEVEL,
    secrets: [config.BOARD_PASSWORD],
  });
  const ops = createOpsServer({
    port: config.METRICS_PORT,
    registry: ctx.registry,
    checks: { redis: () => ctx.redisComponent.ready?.() ?? Promise.resolve(true) },
  });
  const board = createBoard(config, ctx);
  const heartbeat = createHeartbeat({
    redis: ctx.redis,
    prefix: config.QUEUE_PREFIX,
    role: 'board',
    logger: ctx.logger,
  });
  const running = await runRole({
    name: 'board',
    logger: ctx.logger,
    components: [ops, ctx.redisComponent, ...board.components, heartbeat],
    handleSignals: options.handleSignals ?? true,
  });
  ctx.logger.info(
    {
      url: board.server.url(),
      readOnly: config.BOARD_READ_ONLY,
      auth: Boolean(config.BOARD_USERNAME),
    },
    'Bull Board listening',
  );
  return { ...running, server: board.server };
}
