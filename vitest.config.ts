import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * @wmon/contract is imported from its TypeScript sources (its `@wmon/source` export condition), so the tests
 * need no prior build of it. The rest is Vitest's own default for tests on Node (Vite's server conditions
 * without `module`). Programs the tests start (the built CLI, the service image) use the contract's dist/,
 * which `npm run build` makes first.
 */
const sourceConditions = {
  resolve: { conditions: ['@wmon/source', ...defaultServerConditions.filter((c) => c !== 'module')] },
};

// Three projects: the CLI (test/), the contract (contract/test/) and the bundled webhook service (service/, its own config).
export default defineConfig({
  test: {
    // The default reporter, then one plain `vitest: N passed, N failed, N skipped` line (.ci/run turns it into CI's `tests:` line).
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        ssr: sourceConditions,
        test: {
          name: 'cli',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          pool: 'forks',
        },
      },
      {
        ssr: sourceConditions,
        test: {
          name: 'contract',
          include: ['contract/test/**/*.test.ts'],
        },
      },
      'service/vitest.config.ts',
    ],
  },
});
