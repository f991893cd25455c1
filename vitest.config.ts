import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // Files run in parallel: each lab-tier file claims its own block of loopback sshd hosts (startLab without a
    // fixed block), so they do not race over hosts.
    fileParallelism: true,
    pool: 'forks',
  },
});
