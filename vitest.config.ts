import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one PostgreSQL server; two files at a time fits a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
