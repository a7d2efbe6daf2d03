import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // PGlite instances are heavy (~800 MB at first start): few test files at a time.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Every answer any suite provokes is parsed with its route's declared schema (a mismatch is a 500);
    // child processes the tests start inherit it.
    env: { RESPONSE_CONTRACT_CHECKS: 'true' },
  },
});
