import { defineConfig } from 'vitest/config';

// Until the root config includes bench/test: `npx vitest run -c bench/vitest.config.ts`.
export default defineConfig({
  test: { include: ['bench/test/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 180_000, pool: 'forks' },
});
