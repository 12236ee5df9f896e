import type { BaseConfig } from '@touchline/config';
import { createLogger } from '@touchline/logger';
import { createRedis } from '@touchline/redis';
import { FLOWS, createFlowQueue, replayParked, type Flow } from '@touchline/pipeline';

/** Moves parked items back into the pipeline: every flow, or one. */
export async function replay(config: BaseConfig, flow?: Flow): Promise<number> {
  const logger = createLogger({ level: 'warn', name: 'replay' });
  const redis = createRedis({
    url: config.REDIS_URL,
    role: 'worker',
    logger,
    name: 'touchline-replay',
  });
  try {
    let total = 0;
    for (const f of flow ? [flow] : FLOWS) {
      const queue = createFlowQueue(f, redis, config.QUEUE_PREFIX);
      const moved = await replayParked(queue);
      await queue.close();
      total += moved;
      process.stdout.write(
        `${f}: ${moved} parked item${moved === 1 ? '' : 's'} moved back to waiting\n`,
      );
    }
    process.stdout.write(`replayed ${total} in all\n`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
