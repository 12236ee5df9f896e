import { AsyncLocalStorage } from 'node:async_hooks';
import type { CalltouchEndpoint, RequestGate } from '@touchline/calltouch';
import type { Limiter } from '@touchline/limiter';
import type { PointsBudget } from './points.ts';

/** What the request about to leave carries: its items, where they are marked, its stop signal. */
export interface Departure {
  readonly ids: readonly string[];
  /** The Redis hash where the ids are marked in flight at departure. */
  readonly inflightKey: string;
  readonly signal?: AbortSignal | undefined;
}

const departure = new AsyncLocalStorage<Departure>();

/**
 * The gate every Calltouch request passes right before it leaves (the client calls it from a
 * got `beforeRequest` hook, so retries pass it too):
 * 1. the points budget, asked before the wait (a paused endpoint does not take a slot) and again
 *    when the slot has come (the budget may have run down while the request queued);
 * 2. the shared limiter, whose departure script marks the request's items in flight in the same
 *    Redis call, so a request whose answer never comes makes their next delivery count as a
 *    duplicate — with no extra round-trip between the last check and the bytes leaving;
 * 3. the departure it answers with is told by the client when the bytes were written
 *    (`GatePass.sent`), so a stall after the grant is logged as it happened.
 * A shutdown signal stops both waits: the request does not leave.
 */
export function createCalltouchGate(limiter: Limiter, budget?: PointsBudget): RequestGate {
  return {
    async acquire(endpoint: CalltouchEndpoint) {
      const current = departure.getStore();
      await budget?.check(endpoint);
      // The limiter's departure is the pass: the client reports through it when the request
      // was written, and a late write corrects the departure log.
      return limiter.acquire({
        signal: current?.signal,
        mark:
          current && current.ids.length > 0
            ? { key: current.inflightKey, ids: current.ids }
            : undefined,
        ...(budget ? { beforeDeparture: () => budget.check(endpoint) } : {}),
      });
    },
  };
}

/** Runs `send` so that the gate marks `ids` in flight when it departs and honours `signal`. */
export function withDeparture<R>(current: Departure, send: () => Promise<R>): Promise<R> {
  return departure.run(current, send);
}
