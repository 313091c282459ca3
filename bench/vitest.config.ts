import { defineConfig } from 'vitest/config';

// The guard alone: `npx vitest run -c bench/vitest.config.ts` (the root config runs it with everything else).
export default defineConfig({
  test: { include: ['bench/test/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 180_000, pool: 'forks' },
});
