/**
 * What an `elevate serve` child process needs to treat a sandbox as its tenant, as a real
 * deployment's environment would: the service's own app registration, the sandbox's authority,
 * ARM, Graph and IMDS, and a port of its own. Tests that kill the process (crash soaks, the
 * two-instance end-to-end test) add their store and their own timers on top.
 */
import { createServer } from 'node:net';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';

/** A port free on loopback now (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => r(p));
    });
  });
}

export function sandboxServeEnv(sandbox: SandboxHandle, port: number): NodeJS.ProcessEnv {
  const app = sandbox.tenant.elevateApp;
  return {
    ...process.env,
    AZURE_TENANT_ID: sandbox.tenant.tenantId,
    AZURE_CLIENT_ID: app.clientId,
    AZURE_CLIENT_SECRET: app.clientSecret,
    ELEVATE_API_AUDIENCE: app.apiAudience,
    // one secret for every process, as replicas behind a load balancer share it
    ELEVATE_SESSION_SECRET: 's'.repeat(48),
    AZURE_AUTHORITY_HOST: sandbox.authorityHost,
    ELEVATE_ARM_ENDPOINT: sandbox.armEndpoint,
    // requester look-ups and group membership for deny assignments: this sandbox's Graph
    ELEVATE_GRAPH_ENDPOINT: sandbox.graphEndpoint,
    // the agents' managed identities (the reconciler follows operations with them): this sandbox's IMDS
    AZURE_POD_IDENTITY_AUTHORITY_HOST: sandbox.imdsEndpoint,
    ELEVATE_PORT: String(port),
    ELEVATE_LOG_LEVEL: 'warn',
  };
}
