import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // The lab tier shares one set of loopback sshd hosts; files must not race over them.
    fileParallelism: true,
    pool: 'forks',
  },
});
