import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // @wmon/contract from its TypeScript sources (its `@wmon/source` export condition): no build needed first.
  // The rest is Vitest's own default for tests on Node (Vite's server conditions without `module`).
  ssr: { resolve: { conditions: ['@wmon/source', ...defaultServerConditions.filter((c) => c !== 'module')] } },
  test: {
    name: 'service',
    root: import.meta.dirname,
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
