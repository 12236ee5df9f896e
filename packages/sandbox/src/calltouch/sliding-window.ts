/**
 * Calltouch's limit, read harshly: a request that arrives when `limit` requests from the same
 * IP already arrived within the previous `windowMs` is refused, and every arrival counts,
 * refused ones included (so a client that keeps hammering never gets through). Also records
 * the most arrivals seen in any window, the figure the throughput tests check. Pure state,
 * time passed in.
 */
export interface SlidingWindow {
  /** Registers an arrival at `nowMs`; `allowed` is false when it must get 429. */
  arrive(key: string, nowMs: number): { allowed: boolean; inWindow: number };
  /** Most arrivals (accepted and refused) from one key within any `windowMs`. */
  maxInAnyWindow(): number;
  reset(): void;
}

export function createSlidingWindow(options: { limit: number; windowMs: number }): SlidingWindow {
  const { limit, windowMs } = options;
  const arrivals = new Map<string, number[]>();
  let max = 0;
  return {
    arrive(key, nowMs) {
      const list = arrivals.get(key) ?? [];
      // Keep only arrivals strictly within the previous window.
      let drop = 0;
      while (drop < list.length && nowMs - (list[drop] as number) >= windowMs) drop++;
      if (drop > 0) list.splice(0, drop);
      const before = list.length;
      list.push(nowMs);
      arrivals.set(key, list);
      // The busiest window always ends at some arrival, so checking at each arrival finds it.
      max = Math.max(max, list.length);
      return { allowed: before < limit, inWindow: list.length };
    },
    maxInAnyWindow: () => max,
    reset() {
      arrivals.clear();
      max = 0;
    },
  };
}
