import { createPrng } from './prng.ts';

/**
 * The arrival delays of {@link CalltouchStandInOptions.arrivalJitterMs}: uniform in
 * [0, jitterMs], whole ms, drawn from their own seeded stream (so turning jitter on shifts
 * neither the journal data nor the fault and latency draws). The n-th request to reach the
 * stand-in gets the n-th delay.
 */
export function createArrivalDelay(jitterMs: number, seed: number): () => number {
  const random = createPrng(seed ^ 0x85ebca6b);
  return () => Math.round(random() * jitterMs);
}
