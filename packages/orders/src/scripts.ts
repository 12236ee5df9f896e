import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const lua = (name: string) => readFileSync(new URL(`./${name}.lua`, import.meta.url), 'utf8');

/** The orders flow's Lua scripts, as ioredis commands (EVALSHA, loaded on first use). */
export interface OrdersScripts {
  ordersMerge(keys: string[], args: (string | number)[]): Promise<number[]>;
  ordersAck(key: string, sentSeq: number, commentJson: string): Promise<number>;
  ordersUnlock(key: string, token: string, action: 'del' | number): Promise<number>;
}

interface Defined {
  touchlineOrdersMerge(...args: (string | number)[]): Promise<number[]>;
  touchlineOrdersAck(key: string, seq: number, comment: string): Promise<number>;
  touchlineOrdersUnlock(key: string, token: string, action: string | number): Promise<number>;
}

let sources: { merge: string; ack: string; unlock: string } | undefined;

/** Defines the scripts on `redis` (once per client) and returns typed callers. */
export function ordersScripts(redis: Redis): OrdersScripts {
  sources ??= { merge: lua('merge'), ack: lua('ack'), unlock: lua('unlock') };
  const client = redis as Redis & Partial<Defined>;
  if (!client.touchlineOrdersMerge) {
    redis.defineCommand('touchlineOrdersMerge', { lua: sources.merge });
    redis.defineCommand('touchlineOrdersAck', { lua: sources.ack, numberOfKeys: 1 });
    redis.defineCommand('touchlineOrdersUnlock', { lua: sources.unlock, numberOfKeys: 1 });
  }
  const defined = client as Redis & Defined;
  return {
    ordersMerge: (keys, args) => defined.touchlineOrdersMerge(keys.length, ...keys, ...args),
    ordersAck: (key, seq, comment) => defined.touchlineOrdersAck(key, seq, comment),
    ordersUnlock: (key, token, action) => defined.touchlineOrdersUnlock(key, token, action),
  };
}
