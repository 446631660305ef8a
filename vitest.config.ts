import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests that start the real registry or run the CLI spawn processes; two cores.
    maxWorkers: 2,
  },
});
