import type { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';

/**
 * Closes a queue built on a shared connection, safely at any point of its life. When a queue is
 * built, BullMQ starts checking its connection (waits for it, reads the Redis version) and
 * reports a failure of that check as an 'error' event on the queue's connection object — even
 * after `close()` has removed every listener from it (bullmq/dist/cjs/classes/redis-connection.js,
 * `this.initializing.catch(err => this.emit('error', err))`). A queue closed before the check
 * ends and whose connection is closed next (a role whose start failed milliseconds after it built
 * its queues: a port in use) then crashed the process with an unhandled 'error'. A listener put
 * back after `close()` takes that late report; the role's Redis connection logs outages itself.
 */
export async function closeQueue(queue: Queue): Promise<void> {
  try {
    await queue.close();
  } finally {
    (queue as unknown as { connection?: EventEmitter }).connection?.on('error', () => undefined);
  }
}
