import { randomBytes } from 'node:crypto';
import { ClientSecretCredential } from '@azure/identity';
import { sandboxInfo } from './sandbox-context.ts';

/** Elevate's service credential against the shared sandbox (what the service itself uses there). */
export function sandboxServiceCredential(): ClientSecretCredential {
  const s = sandboxInfo();
  return new ClientSecretCredential(s.tenant.tenantId, s.tenant.elevateApp.clientId, s.tenant.elevateApp.clientSecret, {
    authorityHost: s.authorityHost,
    disableInstanceDiscovery: true,
  });
}

/**
 * A fresh container in the shared sandbox's Blob service, with version-level immutability and a
 * time-based retention policy (what an operator makes with `az storage container-rm create
 * --enable-vlw`); each test gets its own, so tests sharing the sandbox do not see each other's blobs.
 */
export async function immutableContainer(options: { retentionDays?: number; versionLevelWorm?: boolean } = {}): Promise<string> {
  const s = sandboxInfo();
  const name = `t-${randomBytes(8).toString('hex')}`;
  const res = await fetch(`${s.origin}/_sandbox/blob/containers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' },
    body: JSON.stringify({ name, retentionDays: options.retentionDays ?? 7, versionLevelWorm: options.versionLevelWorm ?? true }),
  });
  if (res.status !== 201) throw new Error(`sandbox container: HTTP ${res.status}`);
  return `${s.blobEndpoint}/${name}`;
}
