import { AsyncLocalStorage } from 'node:async_hooks';
import type { CalltouchEndpoint, RequestGate } from '@touchline/calltouch';
import type { Limiter } from '@touchline/limiter';

interface Departure {
  readonly ids: readonly string[];
  readonly markSent: (ids: readonly string[]) => Promise<void>;
}

const departure = new AsyncLocalStorage<Departure>();

/** Gates that must also pass before a request leaves (the points budget). */
export type EndpointGate = (endpoint: CalltouchEndpoint) => Promise<void>;

/**
 * The gate every Calltouch request passes right before it leaves (the client calls it from a
 * got `beforeRequest` hook, so retries pass it too): first the points budget, then the shared
 * limiter; then the items of the request are marked in flight, so that a request whose answer
 * never comes makes their next delivery count as a duplicate.
 */
export function createCalltouchGate(limiter: Limiter, budget?: EndpointGate): RequestGate {
  return {
    async acquire(endpoint) {
      if (budget) await budget(endpoint);
      await limiter.acquire();
      const current = departure.getStore();
      if (current) await current.markSent(current.ids);
    },
  };
}

/** Runs `send` so that the gate marks `ids` in flight when its request departs. */
export function withDeparture<R>(
  ids: readonly string[],
  markSent: (ids: readonly string[]) => Promise<void>,
  send: () => Promise<R>,
): Promise<R> {
  return departure.run({ ids, markSent }, send);
}
