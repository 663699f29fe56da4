import { clientCertificatePaths } from '../tls/client-certificate.ts';
import { CONSUMERS_TENANT_ID } from '../state/first-party-apps.ts';
import type { SandboxSeed } from './seed-schema.ts';

/**
 * What the seeded tenant looks like, for tests, docs and `elevate sandbox info`: ids, users,
 * resource groups, Elevate's app registration and the agent's identity. Derived from the seed
 * alone (no running sandbox needed).
 */

export interface SandboxUserInfo {
  /** short name used in the seed and by tests: admin, admin2, standard, reader, auditor, personal, guest, norole */
  key: string;
  oid: string;
  upn: string;
  displayName: string;
  kind: 'work' | 'personal' | 'guest';
  /** `tid` in this user's tokens: the tenant for everyone in the directory, guests included */
  tokenTenantId: string;
  /** guests and personal accounts: the tenant the account lives in (consumers for a personal account) */
  homeTenantId?: string;
  /** false only for a personal account nobody invited: Entra refuses its sign-in (AADSTS50020) */
  invited: boolean;
  /** app roles on Elevate's app registration */
  appRoles: string[];
  azureRoles: Array<{ roleName: string; scope: string; viaGroup?: string }>;
}

export interface SandboxTenantInfo {
  tenantId: string;
  tenantDomain: string;
  displayName: string;
  managementGroups: Array<{ id: string; name: string; displayName: string; subscriptionIds: string[] }>;
  subscriptions: Array<{ id: string; subscriptionId: string; displayName: string; managementGroupId: string | undefined }>;
  resourceGroups: Array<{
    id: string;
    subscriptionId: string;
    name: string;
    location: string;
    resources: Array<{ id: string; name: string; type: string; children: Array<{ id: string; name: string; type: string }> }>;
  }>;
  elevateApp: {
    displayName: string;
    clientId: string;
    clientSecret: string;
    servicePrincipalId: string;
    apiAudience: string;
    delegatedScope: string;
    /** what an agent asks for with its managed identity: `${apiAudience}/.default` */
    agentScope: string;
    /** optional claims configured on the registration (none by default, as in Entra) */
    optionalClaims: { idToken: string[]; accessToken: string[] };
    redirectUris: string[];
    postLogoutRedirectUris: string[];
    appRoles: Array<{ value: string; displayName: string; allowedMemberTypes: string[] }>;
    /** the user-assigned identity Elevate's registration trusts through a federated credential */
    managedIdentity: { name: string; clientId: string; principalId: string; resourceId: string } | undefined;
  };
  /** the public client `elevate requests` signs in with (device code flow), when the seed has one */
  cliApp: { displayName: string; clientId: string; isFallbackPublicClient: boolean; scope: string } | undefined;
  agent: { name: string; uamiClientId: string; uamiPrincipalId: string; uamiResourceId: string; subscriptionId: string; resourceGroupIds: string[] };
  users: SandboxUserInfo[];
  groups: Array<{ id: string; displayName: string; memberOids: string[] }>;
  /** other app registrations in the tenant (SIEM connector with a generated certificate, a dashboard without ARM consent) */
  otherApps: Array<{
    key: string;
    displayName: string;
    clientId: string;
    servicePrincipalId: string;
    clientSecret: string | undefined;
    apiAudience: string | undefined;
    /** app roles this app holds on Elevate's API */
    elevateAppRoles: string[];
    certificate: { certificatePath: string; privateKeyPath: string } | undefined;
    redirectUris: string[];
  }>;
}

export function buildTenantInfo(seed: SandboxSeed, dataDir: string): SandboxTenantInfo {
  const subId = new Map(seed.subscriptions.map((s) => [s.key, s.subscriptionId]));
  const mgOfSub = new Map<string, string>();
  for (const mg of seed.managementGroups) for (const s of mg.subscriptions) mgOfSub.set(subId.get(s)!, mg.id);
  const rgId = (sub: string, name: string) => `/subscriptions/${sub}/resourceGroups/${name}`;
  const miResourceId = (m: SandboxSeed['managedIdentities'][number]) =>
    `${rgId(subId.get(m.subscription)!, m.resourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${m.name}`;

  const elevate = seed.applications.find((a) => a.key === 'elevate')!;
  const agentMi = seed.managedIdentities.find((m) => m.key === seed.agent.identity)!;
  const ficSubjects = new Set(elevate.federatedCredentials.map((f) => f.subject));
  const elevateMi = seed.managedIdentities.find((m) => ficSubjects.has(m.principalId));
  const audience = (a: SandboxSeed['applications'][number]) => a.identifierUris[0] ?? `api://${a.clientId}`;

  return {
    tenantId: seed.tenant.id,
    tenantDomain: seed.tenant.domain,
    displayName: seed.tenant.displayName,
    managementGroups: seed.managementGroups.map((mg) => ({
      id: `/providers/Microsoft.Management/managementGroups/${mg.id}`,
      name: mg.id,
      displayName: mg.displayName,
      subscriptionIds: mg.subscriptions.map((s) => subId.get(s)!),
    })),
    subscriptions: seed.subscriptions.map((s) => ({
      id: `/subscriptions/${s.subscriptionId}`,
      subscriptionId: s.subscriptionId,
      displayName: s.displayName,
      managementGroupId: mgOfSub.get(s.subscriptionId),
    })),
    resourceGroups: seed.resourceGroups.map((rg) => {
      const id = rgId(subId.get(rg.subscription)!, rg.name);
      const resources = rg.resources.map((r) => {
        const rid = `${id}/providers/${r.type}/${r.name}`;
        return { id: rid, name: r.name, type: r.type, children: r.children.map((c) => ({ id: `${rid}/${c.type}/${c.name}`, name: c.name, type: `${r.type}/${c.type}` })) };
      });
      for (const m of seed.managedIdentities.filter((x) => x.resourceGroup.toLowerCase() === rg.name.toLowerCase() && subId.get(x.subscription) === subId.get(rg.subscription))) {
        resources.push({ id: miResourceId(m), name: m.name, type: 'Microsoft.ManagedIdentity/userAssignedIdentities', children: [] });
      }
      return { id, subscriptionId: subId.get(rg.subscription)!, name: rg.name, location: rg.location, resources };
    }),
    elevateApp: {
      displayName: elevate.displayName,
      clientId: elevate.clientId,
      clientSecret: elevate.clientSecrets[0]!,
      servicePrincipalId: elevate.servicePrincipalId,
      apiAudience: audience(elevate),
      delegatedScope: `${audience(elevate)}/user_impersonation`,
      agentScope: `${audience(elevate)}/.default`,
      optionalClaims: { idToken: elevate.optionalClaims.idToken.map((c) => c.name), accessToken: elevate.optionalClaims.accessToken.map((c) => c.name) },
      redirectUris: elevate.redirectUris,
      postLogoutRedirectUris: elevate.postLogoutRedirectUris,
      appRoles: elevate.appRoles.map((r) => ({ value: r.value, displayName: r.displayName, allowedMemberTypes: r.allowedMemberTypes })),
      managedIdentity: elevateMi ? { name: elevateMi.name, clientId: elevateMi.clientId, principalId: elevateMi.principalId, resourceId: miResourceId(elevateMi) } : undefined,
    },
    cliApp: cliAppOf(seed, `${audience(elevate)}/user_impersonation`),
    agent: {
      name: agentMi.name,
      uamiClientId: agentMi.clientId,
      uamiPrincipalId: agentMi.principalId,
      uamiResourceId: miResourceId(agentMi),
      subscriptionId: subId.get(agentMi.subscription)!,
      resourceGroupIds: seed.agent.managedResourceGroups.map((rg) => rgId(subId.get(agentMi.subscription)!, rg)),
    },
    users: seed.users.map((u) => {
      const groups = seed.groups.filter((g) => g.members.includes(u.key));
      const azureRoles = seed.roleAssignments.flatMap((ra) => {
        if (ra.principal === `user:${u.key}`) return [{ roleName: ra.role, scope: ra.scope }];
        const g = groups.find((x) => ra.principal === `group:${x.key}`);
        return g ? [{ roleName: ra.role, scope: ra.scope, viaGroup: g.displayName }] : [];
      });
      const info: SandboxUserInfo = {
        key: u.key,
        oid: u.oid,
        upn: u.upn,
        displayName: u.displayName,
        kind: u.kind,
        tokenTenantId: u.kind === 'personal' && u.invited === false ? CONSUMERS_TENANT_ID : seed.tenant.id,
        invited: u.kind !== 'personal' || u.invited !== false,
        appRoles: u.appRoles,
        azureRoles,
      };
      if (u.kind === 'personal') info.homeTenantId = CONSUMERS_TENANT_ID;
      else if (u.homeTenantId) info.homeTenantId = u.homeTenantId;
      return info;
    }),
    groups: seed.groups.map((g) => ({ id: g.id, displayName: g.displayName, memberOids: g.members.map((m) => memberOid(seed, m)) })),
    otherApps: seed.applications
      .filter((a) => a.key !== 'elevate')
      .map((a) => ({
        key: a.key,
        displayName: a.displayName,
        clientId: a.clientId,
        servicePrincipalId: a.servicePrincipalId,
        clientSecret: a.clientSecrets[0],
        apiAudience: a.identifierUris[0],
        elevateAppRoles: seed.appRoleAssignments.filter((x) => x.principal === `app:${a.key}` && x.resource === 'elevate').map((x) => x.role),
        certificate: a.generatedCertificate ? clientCertificatePaths(dataDir, a.generatedCertificate) : undefined,
        redirectUris: a.redirectUris,
      })),
  };
}

/** A group member's object id: a user key, or a `user:`/`mi:`/`app:` reference. */
function memberOid(seed: SandboxSeed, member: string): string {
  const [kind, key] = member.includes(':') ? (member.split(':') as [string, string]) : ['user', member];
  if (kind === 'mi') return seed.managedIdentities.find((m) => m.key === key)!.principalId;
  if (kind === 'app') return seed.applications.find((a) => a.key === key)!.servicePrincipalId;
  return seed.users.find((u) => u.key === key)!.oid;
}

/** The seed's `elevate-cli` registration: the device-code client of `elevate requests`. */
function cliAppOf(seed: SandboxSeed, scope: string): SandboxTenantInfo['cliApp'] {
  const cli = seed.applications.find((a) => a.key === 'elevate-cli');
  return cli ? { displayName: cli.displayName, clientId: cli.clientId, isFallbackPublicClient: cli.isFallbackPublicClient, scope } : undefined;
}
