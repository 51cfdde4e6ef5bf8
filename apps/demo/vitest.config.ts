import { defineConfig } from 'vitest/config';

// End-to-end tests: the built site in Debian's Chromium (see test/browser.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
