import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestGate } from '@touchline/calltouch';
import type { Limiter } from '@touchline/limiter';

/** The items of the request about to leave, and the hash where they are marked in flight. */
interface Departure {
  readonly ids: readonly string[];
  readonly inflightKey: string;
}

const departure = new AsyncLocalStorage<Departure>();

/**
 * The gate every Calltouch request passes right before it leaves (the client calls it from a
 * got `beforeRequest` hook, so retries pass it too): the shared limiter, which in the same
 * Redis script marks the request's items in flight, so that a request whose answer never comes
 * makes their next delivery count as a duplicate — with no extra round-trip before departure.
 */
export function createCalltouchGate(limiter: Limiter): RequestGate {
  return {
    async acquire() {
      const current = departure.getStore();
      await limiter.acquire(
        undefined,
        current ? { key: current.inflightKey, ids: current.ids } : undefined,
      );
    },
  };
}

/** Runs `send` so that the gate marks `ids` in flight (in `inflightKey`) when it departs. */
export function withDeparture<R>(
  ids: readonly string[],
  inflightKey: string,
  send: () => Promise<R>,
): Promise<R> {
  return departure.run({ ids, inflightKey }, send);
}
