import { defineConfig } from 'vitest/config';

// `pnpm --filter demo bench`: the live benchmark (bench/), apart from the tests.
export default defineConfig({
  test: {
    include: ['bench/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
