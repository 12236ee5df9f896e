import { createBoardServer } from '@touchline/board';
import type { BoardConfig } from '@touchline/config';
import { closeQueue, createFlowQueue } from '@touchline/queue';
import { isRedisReady } from '@touchline/redis';
import type { Component, RoleDefinition } from '@touchline/runtime';
import { FLOW_SPECS } from './flows.ts';

/** `touchline board`: Bull Board for every flow's queue on BOARD_HOST:BOARD_PORT. */
export function boardRole(): RoleDefinition<BoardConfig> {
  return {
    name: 'board',
    secrets: (config) => [config.BOARD_PASSWORD],
    parts(config, ctx) {
      const queues = FLOW_SPECS.map((flow) => ({
        queue: createFlowQueue(flow, ctx.redis, config.QUEUE_PREFIX),
        description: flow.description,
      }));
      const server = createBoardServer({
        queues,
        port: config.BOARD_PORT,
        host: config.BOARD_HOST,
        readOnly: config.BOARD_READ_ONLY,
        auth:
          config.BOARD_USERNAME && config.BOARD_PASSWORD
            ? { username: config.BOARD_USERNAME, password: config.BOARD_PASSWORD }
            : undefined,
        checks: { redis: () => isRedisReady(ctx.redis) },
      });
      const queuesComponent: Component = {
        name: 'board-queues',
        async start() {},
        async close() {
          await Promise.all(queues.map(({ queue }) => closeQueue(queue)));
        },
      };
      // Closed in reverse: the server stops taking requests before its queues close.
      return [queuesComponent, server];
    },
  };
}
