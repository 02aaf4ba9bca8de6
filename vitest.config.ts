import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PGlite starts in a few seconds per file; PostgreSQL suites create a schema each.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores on CI: more workers only queue behind each other.
    maxWorkers: 2,
  },
});
