import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Request log lines of the services the tests start: only errors (5xx) reach the output.
    env: { LOG_LEVEL: 'error' },
  },
});
