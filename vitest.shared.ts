import { defineConfig } from 'vitest/config';

/**
 * Test settings shared by every workspace. Each run also writes a JSON report that `.ci/run`
 * adds up into the closing `N passed, N failed` line.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    // Integration tests share one Redis and the two cores of the machine: keep the pool small.
    maxWorkers: 2,
  },
});
