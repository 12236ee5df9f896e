import type { BaseConfig } from '@touchline/config';
import { createLogger } from '@touchline/logger';
import { createFlowQueue, replayParked, type ReplaySummary } from '@touchline/queue';
import { createRedis } from '@touchline/redis';
import { FLOW_SPECS } from '@touchline/roles';

/**
 * Moves the items parked when it starts back into the pipeline: every flow, or one. Each item
 * is counted once; one that fails again while the replay runs stays parked for the next one.
 */
export async function replay(config: BaseConfig, flow?: string): Promise<number> {
  const logger = createLogger({ level: 'warn', name: 'replay' });
  const redis = createRedis({
    url: config.REDIS_URL,
    role: 'worker',
    logger,
    name: 'touchline-replay',
  });
  try {
    let total = 0;
    for (const spec of FLOW_SPECS.filter((f) => flow === undefined || f.name === flow)) {
      const queue = createFlowQueue(spec, redis, config.QUEUE_PREFIX);
      let summary: ReplaySummary;
      try {
        summary = await replayParked(queue);
      } finally {
        await queue.close();
      }
      total += summary.moved;
      const gone = summary.gone ? ` (${summary.gone} no longer parked)` : '';
      process.stdout.write(
        `${spec.name}: ${summary.moved} parked item${summary.moved === 1 ? '' : 's'} moved back to waiting${gone}\n`,
      );
    }
    process.stdout.write(`replayed ${total} in all\n`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
