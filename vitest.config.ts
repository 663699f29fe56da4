import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Forked workers inherit NODE_EXTRA_CA_CERTS, which globalSetup points at a bundle that
    // trusts the sandbox CA; MSAL's process-wide managed-identity state also wants processes.
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    // every worker refuses DNS lookups and connections outside loopback
    setupFiles: ['test/support/no-egress.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
