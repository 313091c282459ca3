import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    // RSA-3072 key generation and 600 000-iteration PBKDF2 are slow on purpose; real servers start per file.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
