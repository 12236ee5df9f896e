import type { BaseConfig } from '@touchline/config';
import { createFlowQueue, replayParked } from '@touchline/queue';
import { FLOW_SPECS } from '@touchline/roles';
import { connectOnce, redisFailure } from '../one-shot-redis.ts';

export interface ReplayOptions {
  /** Only this flow (`calls`, `orders`, `leads`); all by default. */
  readonly flow?: string;
  /** Print a JSON summary on stdout instead of lines. */
  readonly json?: boolean;
}

/** What `touchline replay --json` prints. */
export interface ReplayResult {
  readonly flows: { readonly flow: string; readonly moved: number; readonly gone: number }[];
  readonly moved: number;
}

/**
 * Moves the items parked when it starts back into the pipeline: every flow, or one. Each item
 * is counted once; one that fails again while the replay runs stays parked for the next one.
 * Redis unreachable, at the start or on the way: exit 69 (./one-shot-redis.ts).
 */
export async function replay(config: BaseConfig, options: ReplayOptions = {}): Promise<number> {
  const redis = await connectOnce(config.REDIS_URL, 'touchline-replay');
  const result: ReplayResult = { flows: [], moved: 0 };
  try {
    for (const spec of FLOW_SPECS.filter(
      (f) => options.flow === undefined || f.name === options.flow,
    )) {
      const queue = createFlowQueue(spec, redis, config.QUEUE_PREFIX);
      try {
        const summary = await replayParked(queue);
        result.flows.push({ flow: spec.name, moved: summary.moved, gone: summary.gone });
        if (!options.json) {
          const gone = summary.gone ? ` (${summary.gone} no longer parked)` : '';
          process.stdout.write(
            `${spec.name}: ${summary.moved} parked item${summary.moved === 1 ? '' : 's'} moved back to waiting${gone}\n`,
          );
        }
      } finally {
        await queue.close().catch(() => undefined);
      }
    }
    const moved = result.flows.reduce((sum, f) => sum + f.moved, 0);
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ ...result, moved }, null, 2)}\n`
        : `replayed ${moved} in all\n`,
    );
    return 0;
  } catch (err) {
    throw redisFailure(
      redis,
      config.REDIS_URL,
      err,
      'Run it again: items already moved back are not parked any more.',
    );
  } finally {
    redis.disconnect();
  }
}
