import type { Queue } from 'bullmq';
import { createBoardServer, type BoardServer } from '@touchline/board';
import type { BoardConfig } from '@touchline/config';
import { FLOWS, QUEUE_DESCRIPTIONS, createFlowQueue } from '@touchline/pipeline';
import {
  runRoleProcess,
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
  // Built inside runRoleProcess, on the role's context, before any component starts.
  let board!: ReturnType<typeof createBoard>;
  const running = await runRoleProcess({
    name: 'board',
    config,
    secrets: [config.BOARD_PASSWORD],
    parts: (ctx) => (board = createBoard(config, ctx)).components,
    ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
  });
  running.ctx.logger.info(
    {
      url: board.server.url(),
      readOnly: config.BOARD_READ_ONLY,
      auth: Boolean(config.BOARD_USERNAME),
    },
    'Bull Board listening',
  );
  return { ...running, server: board.server };
}
