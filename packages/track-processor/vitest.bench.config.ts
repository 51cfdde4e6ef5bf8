import { defineConfig } from 'vitest/config';

// `pnpm --filter @sinet/track-processor bench`: the call-page benchmark (bench/), apart from the tests.
export default defineConfig({
  test: { include: ['bench/**/*.test.ts'], testTimeout: 1_800_000, hookTimeout: 300_000, pool: 'forks', fileParallelism: false },
});
