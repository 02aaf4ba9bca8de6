import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PGlite starts in a few seconds per file; PostgreSQL suites create a schema each.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll's own default (1 s) is shorter than a password hash or a server-sent event takes
    // on two busy cores. On CI the staff-console file's first steps once failed (the log kept only
    // the tail), and every later step on the signed-out page timed out: most likely such a poll.
    // Ten seconds is still well inside testTimeout.
    expect: { poll: { timeout: 10_000 } },
    // Two cores on CI: more workers only queue behind each other.
    maxWorkers: 2,
  },
});
