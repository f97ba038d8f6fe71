import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Caches stay out of node_modules/ (see docs/architecture.md, "Real tools in tests").
  cacheDir: '.cache/vite',
  test: {
    include: ['test/**/*.test.ts'],
    fsModuleCachePath: '.cache/vitest',
    // Integration tests start an in-process sandbox and spawn the built CLI; give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
