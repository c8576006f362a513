import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Model suites load TF.js WASM and real weights: give each file its own process and time to run.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
