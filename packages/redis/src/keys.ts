/**
 * Every Redis key Touchline owns is built here, under `QUEUE_PREFIX`, so one prefix (with a
 * hash tag on Cluster, e.g. `{touchline}`) keeps a deployment's keys together and apart from
 * any other deployment on the same Redis.
 */
export function createKeys(prefix: string) {
  const k = (...parts: (string | number)[]) => [prefix, ...parts].join(':');
  return { prefix, key: k };
}
export type Keys = ReturnType<typeof createKeys>;
