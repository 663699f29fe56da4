import type { Logger } from 'pino';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { ConditionalAccess } from '../state/conditional-access.ts';
import type { Directory } from '../state/directory.ts';
import type { EntraSessions } from '../state/entra-sessions.ts';
import type { SandboxStats } from '../state/sandbox-stats.ts';
import { CONSUMERS_TENANT_ID } from '../state/first-party-apps.ts';
import type { TokenIssuer } from './token-issuer.ts';
import { entraErrors, type EntraError } from './entra-errors.ts';

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
  /** the tenant's Conditional Access policies (none by default) */
  conditionalAccess: ConditionalAccess;
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

/**
 * The tenant an /authorize or /token request names, or the Entra error it gets. /common and
 * /organizations resolve only for multi-tenant apps; the sandbox's apps are single-tenant, as
 * every app registration is when created, so they get AADSTS50194 there (an unknown client id
 * gets 90002 like an unknown tenant, since nothing identifies the directory).
 */
export function tenantForRequest(ctx: EntraContext, segment: string, clientId: string | undefined): { tenantId: string } | { error: EntraError } {
  const t = segment.toLowerCase();
  if (t === 'common' || t === 'organizations') {
    const app = clientId ? ctx.directory.application(clientId) : undefined;
    if (app) return { error: entraErrors.singleTenantAppAtMultiTenantEndpoint(app.clientId, app.displayName) };
  }
  const tenantId = knownTenant(ctx, segment);
  if (!tenantId || tenantId === CONSUMERS_TENANT_ID) return { error: entraErrors.tenantNotFound(segment.slice(0, 100)) };
  return { tenantId };
}

/** Issuers of tokens signed with the sandbox's keys. */
export function sandboxIssuers(ctx: EntraContext): Set<string> {
  const tenants = [ctx.directory.tenantId, CONSUMERS_TENANT_ID];
  return new Set([...tenants.map((t) => ctx.issuer.v2Issuer(t)), ...tenants.map((t) => ctx.issuer.v1Issuer(t))]);
}
