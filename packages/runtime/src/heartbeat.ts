import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '@touchline/logger';
import type { Component } from './component.ts';

/** One live process of a role, as its heartbeat says. */
export interface Heartbeat {
  readonly role: string;
  readonly instanceId: string;
  readonly host: string;
  readonly pid: number;
  /** When the process started (ms since epoch). */
  readonly startedAt: number;
  /** Its last beat (ms since epoch). */
  readonly at: number;
}

/** A role instance as `touchline status` sees it: alive while its key has not expired. */
export interface RoleLiveness extends Heartbeat {
  readonly alive: boolean;
}

export interface HeartbeatOptions {
  /** A worker-style connection shared with the role; never closed by the heartbeat. */
  readonly redis: Redis;
  readonly prefix: string;
  readonly role: string;
  /** Unique per process; default `<hostname>-<pid>` (a pod name in Kubernetes). */
  readonly instanceId?: string;
  /** Beat interval, ms. Default 5,000. */
  readonly intervalMs?: number;
  /** A beat is alive this long, ms: a few missed beats before a process counts as gone. Default 15,000. */
  readonly ttlMs?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

/** Instances not seen for this long are dropped from the index (their key expired long ago). */
const FORGET_AFTER_MS = 24 * 3_600_000;
/** A stopping process removes its beat, but never waits longer than this for Redis. */
const LEAVE_TIMEOUT_MS = 1_000;

/**
 * Redis keys of the heartbeats: one key per instance with a TTL (alive while it exists), and an
 * index of instances by last beat, so a reader needs no SCAN (which would miss keys on Redis
 * Cluster) and can still say which instance stopped beating and when.
 */
export const heartbeatKeys = (prefix: string) => ({
  instance: (role: string, instanceId: string) => `${prefix}:heartbeat:${role}:${instanceId}`,
  index: `${prefix}:heartbeats`,
});

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
};

/**
 * Writes `${prefix}:heartbeat:${role}:${instanceId}` with a TTL every few seconds, so
 * `touchline status` can say which roles are alive. A beat that fails (Redis down) is only
 * logged once per outage: the role goes on, and its absence from status is the signal.
 * `close()` removes the beat, so a graceful stop shows at once rather than after the TTL.
 */
export function createHeartbeat(options: HeartbeatOptions): Component & { beat(): Promise<void> } {
  const { redis, role } = options;
  const instanceId = options.instanceId ?? `${hostname()}-${process.pid}`;
  const intervalMs = options.intervalMs ?? 5_000;
  const ttlMs = options.ttlMs ?? Math.max(3 * intervalMs, 1_000);
  const now = options.now ?? Date.now;
  const keys = heartbeatKeys(options.prefix);
  const key = keys.instance(role, instanceId);
  const member = `${role}:${instanceId}`;
  const startedAt = now();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failing = false;
  let closed = false;

  const beat = async () => {
    const at = now();
    const value: Heartbeat = {
      role,
      instanceId,
      host: hostname(),
      pid: process.pid,
      startedAt,
      at,
    };
    try {
      await redis
        .multi()
        .set(key, JSON.stringify(value), 'PX', ttlMs)
        .zadd(keys.index, at, member)
        .zremrangebyscore(keys.index, '-inf', at - FORGET_AFTER_MS)
        .exec();
      failing = false;
    } catch (err) {
      if (!failing) options.logger?.warn({ err, role }, 'heartbeat not written; will retry');
      failing = true;
    }
  };

  const tick = () => {
    // A beat still waiting on Redis is not doubled: a long outage queues nothing. While the
    // connection is not ready (starting, or Redis down) there is nothing to try: the client
    // reports the outage itself, and the first beat goes as soon as it is ready.
    if (running || closed || redis.status !== 'ready') return;
    running = beat().finally(() => (running = undefined));
  };

  return {
    name: 'heartbeat',
    beat,
    async start() {
      if (timer || closed) return;
      tick();
      if (redis.status !== 'ready') redis.once('ready', tick);
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    async close() {
      if (closed) return;
      closed = true;
      // Never started (another component failed first): there is no beat to remove.
      if (!timer) return;
      clearInterval(timer);
      redis.off('ready', tick);
      await withTimeout(running ?? Promise.resolve(), LEAVE_TIMEOUT_MS);
      await withTimeout(
        redis
          .multi()
          .del(key)
          .zrem(keys.index, member)
          .exec()
          .catch(() => undefined),
        LEAVE_TIMEOUT_MS,
      );
    },
  };
}

/**
 * Every instance that beat within the last day, alive or not, newest first. An instance is
 * alive while its key exists (the TTL has not run out).
 */
export async function readHeartbeats(redis: Redis, prefix: string): Promise<RoleLiveness[]> {
  const keys = heartbeatKeys(prefix);
  const members = await redis.zrevrange(keys.index, 0, 999, 'WITHSCORES');
  const entries: { role: string; instanceId: string; at: number }[] = [];
  for (let i = 0; i + 1 < members.length; i += 2) {
    const member = members[i]!;
    const split = member.indexOf(':');
    if (split < 0) continue;
    entries.push({
      role: member.slice(0, split),
      instanceId: member.slice(split + 1),
      at: Number(members[i + 1]),
    });
  }
  if (entries.length === 0) return [];
  const values = await redis.mget(...entries.map((e) => keys.instance(e.role, e.instanceId)));
  return entries.map((entry, i) => {
    const raw = values[i];
    const parsed = raw ? parseHeartbeat(raw) : undefined;
    return parsed
      ? { ...parsed, alive: true }
      : { ...entry, host: '', pid: 0, startedAt: 0, alive: false };
  });
}

const parseHeartbeat = (raw: string): Heartbeat | undefined => {
  try {
    const v = JSON.parse(raw) as Partial<Heartbeat>;
    if (typeof v.role !== 'string' || typeof v.instanceId !== 'string') return undefined;
    return {
      role: v.role,
      instanceId: v.instanceId,
      host: typeof v.host === 'string' ? v.host : '',
      pid: typeof v.pid === 'number' ? v.pid : 0,
      startedAt: typeof v.startedAt === 'number' ? v.startedAt : 0,
      at: typeof v.at === 'number' ? v.at : 0,
    };
  } catch {
    return undefined;
  }
};
