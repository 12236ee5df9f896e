import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL, deleteKeys, testRedis, uniquePrefix } from './test-redis.ts';

/**
 * Prefixes of the project's own throwaway keys: tests (`tltest-`), the end-to-end suite
 * (`tle2e-`), the benchmarks (`tlbench-`, `bench-`) and the demo (`touchline-demo-`). A key outside all of
 * them was written without the prefix it was given — a bug (a queue or key built without the
 * prefix) that would mix deployments sharing one Redis.
 */
const OWN = /^(tltest-|tle2e-|tlbench-|bench-|touchline-demo-)/;

async function foreignKeys(client: Redis): Promise<Set<string>> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) if (!OWN.test(key)) found.add(key);
  } while (cursor !== '0');
  return found;
}

export interface TestRedis {
  /** A worker-style connection (`maxRetriesPerRequest: null`), closed after the file. */
  readonly redis: Redis;
  /** This file's own key prefix: every key it makes must be under it. */
  readonly prefix: string;
  /** Another prefix for this file (a test that needs a fresh deployment), cleaned up too. */
  newPrefix(label?: string): string;
  readonly url: string;
}

/**
 * The shared Redis of a test file, with what every such file needs: a connection, a unique
 * prefix, and after the file — the keys under its prefixes deleted, the connection closed, and
 * a check that the file left no key *outside* them (it fails the file, naming the keys). Call
 * it at the top level of a test file.
 */
export function useTestRedis(label = 't'): TestRedis {
  const redis = testRedis();
  const prefix = uniquePrefix(label);
  const prefixes = [prefix];
  const checker = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  let before = new Set<string>();
  beforeAll(async () => {
    await checker.connect();
    before = await foreignKeys(checker);
  });
  afterAll(async () => {
    try {
      const leaked = [...(await foreignKeys(checker))].filter((key) => !before.has(key));
      await Promise.all(prefixes.map((p) => deleteKeys(TEST_REDIS_URL, p)));
      if (leaked.length > 0) {
        await checker.unlink(...leaked);
        throw new Error(
          `keys written outside the test's prefixes (${prefixes.join(', ')}): ${leaked.slice(0, 10).join(', ')}`,
        );
      }
    } finally {
      checker.disconnect();
      redis.disconnect();
    }
  });
  return {
    redis,
    prefix,
    url: TEST_REDIS_URL,
    newPrefix(sub = label) {
      const next = uniquePrefix(sub);
      prefixes.push(next);
      return next;
    },
  };
}
