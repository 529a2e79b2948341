import { defineConfig } from 'vitest/config';

// Two projects: the CLI (test/) and the bundled webhook service (service/, its own config).
export default defineConfig({
  test: {
    // The default reporter, then one plain `tests: N passed, N failed, N skipped` line for CI to read.
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'cli',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          pool: 'forks',
        },
      },
      'service/vitest.config.ts',
    ],
  },
});
