import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Structured logs are for production; tests assert on errors instead. INGEST_LOG_LEVEL=info to see them.
    env: { INGEST_LOG_LEVEL: process.env.INGEST_LOG_LEVEL ?? 'silent' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one PostgreSQL server; two files at a time fits a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
