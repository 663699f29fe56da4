/**
 * The approval tests' private sandbox: the default seed plus `admin3`, an SRE Agent Administrator
 * whose only Azure role is Reader (for "the approver's own Azure permissions still apply"), and a
 * managed-identity credential against that sandbox's IMDS.
 */
import { randomUUID } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { SandboxHandle } from '../../../src/sandbox/start-sandbox.ts';
import { startPrivateSandbox } from '../../support/private-sandbox.ts';
import { seedFile, withElevateAccessTokenVersion, withElevateOptionalClaims, type Seed } from '../../support/seed-variants.ts';

const SUB_PRODUCTION = 'b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';
const ADMIN3 = { key: 'admin3', oid: '5b0e6c1d-93a4-4f27-8d61-0c2f7a9e4b13', upn: 'lin.admin@contoso-sre.onmicrosoft.com', displayName: 'Lin Admin', kind: 'work', appRoles: ['SREAgent.Administrator'] };

/** `idTokenOptionalClaims`: optional claims on Elevate's registration (none by default, as in Entra); `edit`: a test's own changes. */
function seedWithAdmin3(idTokenOptionalClaims: string[], accessTokenVersion?: 1 | 2, edit?: (seed: Seed) => void): string {
  return seedFile((seed) => {
    seed.users.push(ADMIN3);
    seed.roleAssignments.push({ name: randomUUID(), principal: 'user:admin3', role: 'Reader', scope: `/subscriptions/${SUB_PRODUCTION}` });
    withElevateOptionalClaims(seed, { idToken: idTokenOptionalClaims });
    if (accessTokenVersion !== undefined) withElevateAccessTokenVersion(seed, accessTokenVersion);
    edit?.(seed);
  });
}

/** A managed-identity credential against this sandbox's IMDS (ManagedIdentityCredential is bound to the shared sandbox per process). */
export function imdsCredential(origin: string, clientId: string): TokenCredential {
  return {
    async getToken(scopes: string | string[]): Promise<AccessToken | null> {
      const scope = Array.isArray(scopes) ? scopes[0]! : scopes;
      const resource = scope.replace(/\/\.default$/, '');
      const url = `${origin}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(resource)}&client_id=${encodeURIComponent(clientId)}`;
      const res = await fetch(url, { headers: { Metadata: 'true' } });
      if (!res.ok) throw new Error(`IMDS answered ${res.status}`);
      const body = (await res.json()) as { access_token: string; expires_on: string };
      return { token: body.access_token, expiresOnTimestamp: Number(body.expires_on) * 1000, tokenType: 'Bearer' };
    },
  };
}

/** A private sandbox (own keys and counters, the shared CA) seeded with admin3. */
export function startApprovalSandbox(options: { idTokenOptionalClaims?: string[]; deviceCodeIntervalSeconds?: number; accessTokenVersion?: 1 | 2; seed?: (seed: Seed) => void } = {}): Promise<SandboxHandle> {
  return startPrivateSandbox({
    seedFile: seedWithAdmin3(options.idTokenOptionalClaims ?? [], options.accessTokenVersion, options.seed),
    ...(options.deviceCodeIntervalSeconds ? { deviceCode: { lifetimeSeconds: 900, intervalSeconds: options.deviceCodeIntervalSeconds } } : {}),
  });
}
