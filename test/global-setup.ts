import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../src/observability/logger.ts';
import { startSandbox, type SandboxHandle } from '../src/sandbox/start-sandbox.ts';
import { installNoEgressGuard } from './support/no-egress-guard.mjs';
import type { SandboxTestInfo } from './support/sandbox-context.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from './support/throwaway-postgres.ts';
import { createMigratedTemplate, type MigratedTemplate } from './support/postgres-template.ts';
import { testStoreKind } from './support/test-store.ts';

/**
 * Starts the Azure sandbox once per test run, before any worker forks, and shares it:
 * - stable ports 47443 (https) / 47080 (http), or the next free pair when another run holds them;
 * - NODE_EXTRA_CA_CERTS points at its CA bundle, so forked workers (which read it at start)
 *   trust its TLS certificate;
 * - AZURE_POD_IDENTITY_AUTHORITY_HOST points at it, so ManagedIdentityCredential's IMDS calls land
 *   there (msal-node fixes that endpoint per process, hence one sandbox for the whole run);
 * - NODE_OPTIONS preloads the no-egress guard into workers and into processes tests spawn.
 * Tests read the endpoints and seeded tenant with `sandboxInfo()` (test/support/sandbox-context.ts).
 * It also starts one throwaway PostgreSQL cluster (or takes ELEVATE_TEST_DATABASE_URL) for the
 * PostgreSQL adapter's tests, which create a database each (test/support/postgres-context.ts).
 * With ELEVATE_TEST_STORE=postgres every harness opens its store there too (test/support/test-store.ts),
 * each in a copy of one database migrated here once.
 * Last, TMPDIR points at a directory of this run's own, removed when the run ends: the harnesses'
 * databases, policy copies and browser profiles go there (os.tmpdir() reads TMPDIR), and a run
 * no longer leaves thousands of them behind in /tmp.
 */

const BASE_HTTPS_PORT = 47443;
const BASE_HTTP_PORT = 47080;
const PORT_ATTEMPTS = 40;
export const TEST_ARM_PAGE_SIZE = 5;

/** Variables that would make @azure/identity pick another managed-identity source than IMDS. */
const MANAGED_IDENTITY_ENV = ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'IDENTITY_SERVER_THUMBPRINT', 'IMDS_ENDPOINT', 'MSI_ENDPOINT', 'MSI_SECRET', 'AZURE_FEDERATED_TOKEN_FILE'];

let handle: SandboxHandle | undefined;
let postgres: ThrowawayPostgres | undefined;
let template: MigratedTemplate | undefined;

async function startOnFreePorts(): Promise<SandboxHandle> {
  let lastError: unknown;
  for (let i = 0; i < PORT_ATTEMPTS; i++) {
    const httpsPort = BASE_HTTPS_PORT + i;
    const httpPort = BASE_HTTP_PORT + i;
    try {
      return await startSandbox({
        httpsPort,
        httpPort,
        dataDir: join(tmpdir(), `elevate-test-sandbox-${httpsPort}`),
        armPageSize: TEST_ARM_PAGE_SIZE,
        extraCaCertsFile: process.env.NODE_EXTRA_CA_CERTS,
        logger: createLogger('silent'),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      lastError = err;
    }
  }
  throw new Error(`no free port pair for the sandbox from ${BASE_HTTPS_PORT}/${BASE_HTTP_PORT}: ${String(lastError)}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  installNoEgressGuard();
  [handle, postgres] = await Promise.all([startOnFreePorts(), startThrowawayPostgres()]);
  process.env.NODE_EXTRA_CA_CERTS = handle.caBundlePath;
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = handle.imdsEndpoint;
  for (const name of MANAGED_IDENTITY_ENV) delete process.env[name];
  const guard = resolve(import.meta.dirname, 'support/no-egress-guard.mjs');
  const preload = `--import=${guard}`;
  if (!(process.env.NODE_OPTIONS ?? '').includes(preload)) process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} ${preload}`.trim();

  const info: SandboxTestInfo = {
    origin: handle.origin,
    browserOrigin: handle.browserOrigin,
    authorityHost: handle.authorityHost,
    armEndpoint: handle.armEndpoint,
    imdsEndpoint: handle.imdsEndpoint,
    blobEndpoint: handle.blobEndpoint,
    caCertPath: handle.caCertPath,
    caBundlePath: handle.caBundlePath,
    dataDir: handle.dataDir,
    armPageSize: TEST_ARM_PAGE_SIZE,
    tenant: handle.tenant,
  };
  project.provide('sandbox', info);
  project.provide('postgresUrl', postgres.url);
  if (testStoreKind() === 'postgres') template = await createMigratedTemplate(postgres.url);
  project.provide('postgresTemplate', template?.name);
  // After the sandbox (whose directory is kept across runs, per port) and the cluster (which
  // removes its own), before any worker forks: the workers and what they spawn inherit it.
  const runTmp = mkdtempSync(join(tmpdir(), 'elevate-test-run-'));
  const systemTmp = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  return async () => {
    rmSync(runTmp, { recursive: true, force: true });
    if (systemTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = systemTmp;
    await template?.drop();
    await Promise.all([handle?.close(), postgres?.stop()]);
    handle = undefined;
    postgres = undefined;
    template = undefined;
  };
}
