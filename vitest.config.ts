import { defineConfig } from 'vitest/config';

/**
 * Two lanes (issue 16: the suite runs on both adapters). The default lane is the whole suite on
 * SQLite, adapter-specific PostgreSQL tests (`*.postgres.test.ts`, `postgres-*.test.ts`) included.
 * With ELEVATE_TEST_STORE=postgres every harness opens its store on the run's throwaway
 * PostgreSQL cluster (test/support/test-store.ts), over the directories whose tests open a store
 * through a harness; SQLite-specific tests (`*.sqlite.test.ts`) are left out, and so are the
 * PostgreSQL-specific ones, which the default lane has run. The directories
 * not in this lane, and why, are in README.md ("Testing on both adapters").
 */
export const POSTGRES_LANE = [
  'agents',
  'approvals',
  'audit',
  'browser',
  'incidents',
  'levels',
  'mcp',
  'notifications',
  'operations',
  'raises',
  'security',
  'service',
  'sessions',
  'signin',
  'soak',
  'web',
];

/** The files of directories otherwise left out whose tests run the store: the CLI's that start `elevate` on it or talk to a harness. */
export const POSTGRES_LANE_FILES = ['cli/agents-commands', 'cli/raise-commands', 'cli/requests-commands', 'cli/requests-claims-challenge'];

const postgresLane = process.env.ELEVATE_TEST_STORE === 'postgres';

export default defineConfig({
  test: {
    include: postgresLane ? [...POSTGRES_LANE.map((d) => `test/${d}/**/*.test.ts`), ...POSTGRES_LANE_FILES.map((f) => `test/${f}.test.ts`)] : ['test/**/*.test.ts'],
    // The PostgreSQL-only tests start their own databases and already run in the default lane.
    exclude: postgresLane ? ['**/node_modules/**', '**/*.sqlite.test.ts', '**/*.postgres.test.ts'] : ['**/node_modules/**'],
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
