import type { Logger } from 'pino';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { Directory } from '../state/directory.ts';
import type { EntraSessions } from '../state/entra-sessions.ts';
import type { SandboxStats } from '../state/sandbox-stats.ts';
import { CONSUMERS_TENANT_ID } from '../state/first-party-apps.ts';
import type { TokenIssuer } from './token-issuer.ts';

/** What every Entra endpoint of the sandbox works with. */
export interface EntraContext {
  /** https origin: discovery, keys, token */
  origin: string;
  /** http origin a browser visits: authorize, sign-in page, logout */
  browserOrigin: string;
  directory: Directory;
  keys: SigningKeyStore;
  issuer: TokenIssuer;
  sessions: EntraSessions;
  stats: SandboxStats;
  logger: Logger;
}

/** Tenants whose discovery documents the sandbox serves: its own and the consumers (MSA) tenant. */
export function knownTenant(ctx: EntraContext, tenant: string): string | undefined {
  const t = tenant.toLowerCase();
  if (t === ctx.directory.tenantId || t === ctx.directory.tenantDomain.toLowerCase()) return ctx.directory.tenantId;
  if (t === CONSUMERS_TENANT_ID) return CONSUMERS_TENANT_ID;
  return undefined;
}

/** Issuers of tokens signed with the sandbox's keys. */
export function sandboxIssuers(ctx: EntraContext): Set<string> {
  const tenants = [ctx.directory.tenantId, CONSUMERS_TENANT_ID];
  return new Set([...tenants.map((t) => ctx.issuer.v2Issuer(t)), ...tenants.map((t) => ctx.issuer.v1Issuer(t))]);
}
