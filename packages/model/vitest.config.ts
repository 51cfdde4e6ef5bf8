import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { setupFiles: ['@sinet/test-utils/vitest-setup'], include: ['src/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 180_000, pool: 'forks' },
});
