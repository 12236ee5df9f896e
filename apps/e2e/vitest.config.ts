import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// Each file starts its own processes and sandbox: run the files one after another so that
// the two cores are not shared by several pipelines at once.
export default mergeConfig(
  shared,
  defineConfig({ test: { fileParallelism: false, testTimeout: 120_000 } }),
);
