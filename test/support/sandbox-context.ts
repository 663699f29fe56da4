import { inject } from 'vitest';
import type { SandboxTenantInfo, SandboxUserInfo } from '../../src/sandbox/start-sandbox.ts';

/**
 * What test/global-setup.ts tells every test about the sandbox it started once for the run.
 * Workers cannot reach the handle itself; counters, key rotation and the activity log are on the
 * sandbox's /_sandbox endpoints (see sandbox-admin.ts).
 */
export interface SandboxTestInfo {
  origin: string;
  browserOrigin: string;
  authorityHost: string;
  armEndpoint: string;
  imdsEndpoint: string;
  /** `${origin}/<account>`: the sandbox Blob service, path-style */
  blobEndpoint: string;
  caCertPath: string;
  caBundlePath: string;
  dataDir: string;
  /** page size of ARM lists in the test sandbox (small, so paging is exercised) */
  armPageSize: number;
  tenant: SandboxTenantInfo;
}

declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: SandboxTestInfo;
  }
}

export function sandboxInfo(): SandboxTestInfo {
  return inject('sandbox');
}

/** A seeded user by key: admin, admin2, standard, reader, auditor, personal, guest, norole. */
export function sandboxUser(key: string): SandboxUserInfo {
  const u = sandboxInfo().tenant.users.find((x) => x.key === key);
  if (!u) throw new Error(`no sandbox user ${key}`);
  return u;
}

/** The authority MSAL and @azure/identity use against the sandbox. */
export function sandboxAuthority(): string {
  const s = sandboxInfo();
  return `${s.authorityHost}/${s.tenant.tenantId}`;
}
