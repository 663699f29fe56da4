import { createHash, type KeyObject } from 'node:crypto';
import { GRAPH_RESOURCE_KEY, type OPTIONAL_CLAIM_NAMES, type SandboxSeed } from '../seed/seed-schema.ts';
import type { GroupMembershipClaims } from '../seed/group-membership-claims.ts';

export type OptionalClaimName = (typeof OPTIONAL_CLAIM_NAMES)[number];
import { CONSUMERS_TENANT_ID, FIRST_PARTY_RESOURCES, GRAPH_APP_ID } from './first-party-apps.ts';

/**
 * The sandbox tenant's directory: users, groups, app registrations with their service principals,
 * managed identities, and the resources tokens can be issued for. Built once from the seed; the
 * directory does not change while the sandbox runs (ARM state does).
 */

export type UserKind = 'work' | 'personal' | 'guest';

export interface DirectoryUser {
  key: string;
  oid: string;
  upn: string;
  displayName: string;
  kind: UserKind;
  /** Graph's `mail`, `otherMails` and `proxyAddresses` (https://learn.microsoft.com/graph/api/resources/user). */
  mail: string | undefined;
  /** The alias; Entra sets it from the UPN's local part unless given. */
  mailNickname: string;
  otherMails: string[];
  proxyAddresses: string[];
  /**
   * In the directory: members, guests, and personal accounts invited as guests. An uninvited
   * personal account can pick itself on the sign-in page but Entra refuses it (AADSTS50020).
   */
  invited: boolean;
  /** The tenant the account lives in: this one for members, the consumers tenant for a personal account. */
  homeTenantId: string;
  /** The account's object id in its home tenant (`uid` of `client_info`); = oid for members. */
  homeOid: string;
  /** `tid` in this user's tokens: the resource tenant for everyone in the directory (guests too). */
  tokenTenantId: string;
  groupIds: string[];
}

export interface RegisteredCertificate {
  /** base64url SHA-1 thumbprint, as in a JWT `x5t` header */
  x5t: string;
  /** base64url SHA-256 thumbprint, as in a JWT `x5t#S256` header */
  x5tS256: string;
  publicKey: KeyObject;
}

export interface AppRole {
  value: string;
  displayName: string;
  id: string;
  allowedMemberTypes: Array<'User' | 'Application'>;
}

export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface DirectoryApplication {
  key: string;
  displayName: string;
  clientId: string;
  servicePrincipalId: string;
  clientSecrets: string[];
  certificates: RegisteredCertificate[];
  identifierUris: string[];
  accessTokenVersion: 1 | 2;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  exposedScopes: string[];
  appRoles: AppRole[];
  grantedPermissions: Array<{ resource: string; scopes: string[] }>;
  federatedCredentials: FederatedCredential[];
  /** "Allow public client flows": may redeem a device code without a client credential. */
  isFallbackPublicClient: boolean;
  /** Optional claims configured on the registration (none by default, as in Entra). */
  optionalClaims: { idToken: Set<OptionalClaimName>; accessToken: Set<OptionalClaimName> };
  /** Which groups its tokens list in `groups` (null by default, as in Entra: none). */
  groupMembershipClaims: GroupMembershipClaims;
}

export interface ManagedIdentityRecord {
  key: string;
  name: string;
  clientId: string;
  principalId: string;
  resourceId: string;
}

export interface GroupRecord {
  key: string;
  id: string;
  displayName: string;
  /** A security group (else a Microsoft 365 or distribution group). */
  securityEnabled: boolean;
  memberOids: string[];
}

/** Anything a token can be issued for. */
export interface ResourceServer {
  appId: string;
  displayName: string;
  identifierUris: string[];
  /** `aud` of the access tokens: the app id for v2 resources, the identifier URI for v1 ones. */
  audience: string;
  accessTokenVersion: 1 | 2;
  scopes: string[];
  userConsentable: string[];
  /** Set when the resource is one of the tenant's own app registrations. */
  app: DirectoryApplication | undefined;
}

export type PrincipalType = 'User' | 'Group' | 'ServicePrincipal';

export interface PrincipalInfo {
  id: string;
  type: PrincipalType;
  displayName: string;
  /** user principal name, for users */
  upn?: string;
}

/**
 * A guest's or personal account's object id in its home tenant, fixed per account: a GUID for an
 * Entra home tenant, the `00000000-0000-0000-xxxx-xxxxxxxxxxxx` form MSA uses for consumers.
 */
function homeObjectId(kind: UserKind, oid: string, homeTenantId: string): string {
  const h = createHash('sha256').update(`${homeTenantId}|${oid}`).digest('hex');
  if (kind === 'personal') return `00000000-0000-0000-${h.slice(0, 4)}-${h.slice(4, 16)}`;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const normId = (s: string) => s.trim().replace(/\/+$/, '').toLowerCase();

export class Directory {
  readonly tenantId: string;
  readonly tenantDomain: string;
  readonly tenantDisplayName: string;
  readonly users: DirectoryUser[];
  readonly groups: GroupRecord[];
  readonly applications: DirectoryApplication[];
  readonly managedIdentities: ManagedIdentityRecord[];
  private readonly resources: ResourceServer[];
  /** principal id -> resource app id -> role values */
  private readonly roleGrants = new Map<string, Map<string, Set<string>>>();

  constructor(seed: SandboxSeed, options: { origin: string; certificates: Map<string, RegisteredCertificate> }) {
    this.tenantId = seed.tenant.id;
    this.tenantDomain = seed.tenant.domain;
    this.tenantDisplayName = seed.tenant.displayName;
    const groupsByUserKey = new Map<string, string[]>();
    const userKeyOf = (member: string) => (member.startsWith('user:') ? member.slice(5) : member);
    for (const g of seed.groups) for (const m of g.members) groupsByUserKey.set(userKeyOf(m), [...(groupsByUserKey.get(userKeyOf(m)) ?? []), g.id]);
    this.users = seed.users.map((u) => {
      const invited = u.kind !== 'personal' || u.invited !== false;
      const homeTenantId = u.kind === 'personal' ? CONSUMERS_TENANT_ID : u.kind === 'guest' ? u.homeTenantId! : seed.tenant.id;
      return {
        key: u.key,
        oid: u.oid,
        upn: u.upn,
        displayName: u.displayName,
        kind: u.kind,
        mail: u.mail,
        mailNickname: u.upn.slice(0, u.upn.indexOf('@')),
        otherMails: u.otherMails,
        proxyAddresses: u.proxyAddresses,
        invited,
        homeTenantId,
        homeOid: u.kind === 'work' ? u.oid : homeObjectId(u.kind, u.oid, homeTenantId),
        tokenTenantId: invited ? seed.tenant.id : CONSUMERS_TENANT_ID,
        groupIds: groupsByUserKey.get(u.key) ?? [],
      };
    });
    this.groups = seed.groups.map((g) => ({
      key: g.key,
      id: g.id,
      displayName: g.displayName,
      securityEnabled: g.securityEnabled,
      memberOids: [] as string[],
    }));
    this.applications = seed.applications.map((a) => ({
      key: a.key,
      displayName: a.displayName,
      clientId: a.clientId,
      servicePrincipalId: a.servicePrincipalId,
      clientSecrets: a.clientSecrets,
      certificates: a.generatedCertificate ? [options.certificates.get(a.generatedCertificate)!].filter(Boolean) : [],
      identifierUris: a.identifierUris,
      accessTokenVersion: a.accessTokenVersion,
      redirectUris: a.redirectUris,
      postLogoutRedirectUris: a.postLogoutRedirectUris,
      exposedScopes: a.exposedScopes.map((s) => s.value),
      appRoles: a.appRoles,
      grantedPermissions: a.grantedPermissions,
      isFallbackPublicClient: a.isFallbackPublicClient,
      optionalClaims: {
        idToken: new Set(a.optionalClaims.idToken.map((c) => c.name)),
        accessToken: new Set(a.optionalClaims.accessToken.map((c) => c.name)),
      },
      groupMembershipClaims: a.groupMembershipClaims,
      federatedCredentials: a.federatedCredentials.map((f) => ({
        name: f.name,
        issuer: f.issuer.replaceAll('{origin}', options.origin),
        subject: f.subject,
        audiences: f.audiences,
      })),
    }));
    const subIdByKey = new Map(seed.subscriptions.map((s) => [s.key, s.subscriptionId]));
    this.managedIdentities = seed.managedIdentities.map((m) => ({
      key: m.key,
      name: m.name,
      clientId: m.clientId,
      principalId: m.principalId,
      resourceId: `/subscriptions/${subIdByKey.get(m.subscription)}/resourceGroups/${m.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${m.name}`,
    }));
    this.resources = [
      ...FIRST_PARTY_RESOURCES.map((r) => ({ ...r, app: undefined })),
      ...this.applications.map((a) => ({
        appId: a.clientId,
        displayName: a.displayName,
        identifierUris: a.identifierUris,
        audience: a.accessTokenVersion === 2 ? a.clientId : (a.identifierUris[0] ?? a.clientId),
        accessTokenVersion: a.accessTokenVersion,
        scopes: a.exposedScopes,
        userConsentable: [],
        app: a,
      })),
    ];
    // members are user keys or principal references (a managed identity can be in a group)
    seed.groups.forEach((g, i) => (this.groups[i]!.memberOids = g.members.map((m) => this.principalIdOf(m.includes(':') ? m : `user:${m}`).toLowerCase())));
    const elevate = this.applications.find((a) => a.key === 'elevate')!;
    for (const u of seed.users) for (const r of u.appRoles) this.grantRole(u.oid, elevate.clientId, r);
    for (const a of seed.appRoleAssignments) {
      const principalId = this.principalIdOf(a.principal);
      // admin-consented Graph application permissions (User.Read.All, GroupMember.Read.All) are app roles on Microsoft Graph
      const resourceAppId = a.resource === GRAPH_RESOURCE_KEY ? GRAPH_APP_ID : this.applications.find((x) => x.key === a.resource)!.clientId;
      this.grantRole(principalId, resourceAppId, a.role);
    }
  }

  private grantRole(principalId: string, resourceAppId: string, role: string): void {
    const byResource = this.roleGrants.get(principalId) ?? new Map<string, Set<string>>();
    const roles = byResource.get(resourceAppId) ?? new Set<string>();
    roles.add(role);
    byResource.set(resourceAppId, roles);
    this.roleGrants.set(principalId, byResource);
  }

  /** Resolves a seed principal reference (`user:admin`, `mi:agent`, ...) to an object id. */
  principalIdOf(ref: string): string {
    const [kind, key] = ref.split(':') as [string, string];
    const id =
      kind === 'user' ? this.users.find((u) => u.key === key)?.oid
      : kind === 'group' ? this.groups.find((g) => g.key === key)?.id
      : kind === 'app' ? this.applications.find((a) => a.key === key)?.servicePrincipalId
      : kind === 'mi' ? this.managedIdentities.find((m) => m.key === key)?.principalId
      : undefined;
    if (!id) throw new Error(`unknown principal reference ${ref}`);
    return id;
  }

  userByOid(oid: string): DirectoryUser | undefined {
    const o = oid.toLowerCase();
    return this.users.find((u) => u.oid === o);
  }

  userByLogin(login: string): DirectoryUser | undefined {
    const l = login.trim().toLowerCase();
    return this.users.find((u) => u.upn.toLowerCase() === l);
  }

  application(clientId: string): DirectoryApplication | undefined {
    const c = clientId.toLowerCase();
    return this.applications.find((a) => a.clientId === c);
  }

  managedIdentity(by: { clientId?: string; principalId?: string; resourceId?: string }): ManagedIdentityRecord | undefined {
    return this.managedIdentities.find(
      (m) =>
        (by.clientId !== undefined && m.clientId === by.clientId.toLowerCase()) ||
        (by.principalId !== undefined && m.principalId === by.principalId.toLowerCase()) ||
        (by.resourceId !== undefined && m.resourceId.toLowerCase() === by.resourceId.toLowerCase()),
    );
  }

  /** A resource by identifier URI or app id, trailing slashes and case ignored. */
  resource(identifier: string): ResourceServer | undefined {
    const id = normId(identifier);
    if (id.length === 0) return undefined;
    return this.resources.find((r) => r.appId === id || r.identifierUris.some((u) => normId(u) === id));
  }

  graph(): ResourceServer {
    return this.resource(GRAPH_APP_ID)!;
  }

  /** Every principal ARM can name: users, groups, and service principals (apps, managed identities). */
  principal(id: string): PrincipalInfo | undefined {
    const i = id.toLowerCase();
    const u = this.users.find((x) => x.oid === i);
    if (u) return { id: u.oid, type: 'User', displayName: u.displayName, upn: u.upn };
    const g = this.groups.find((x) => x.id === i);
    if (g) return { id: g.id, type: 'Group', displayName: g.displayName };
    const a = this.applications.find((x) => x.servicePrincipalId === i);
    if (a) return { id: a.servicePrincipalId, type: 'ServicePrincipal', displayName: a.displayName };
    const m = this.managedIdentities.find((x) => x.principalId === i);
    if (m) return { id: m.principalId, type: 'ServicePrincipal', displayName: m.name };
    return undefined;
  }

  /** Groups `principalId` (a user, service principal or managed identity) is a member of. */
  groupIdsOf(principalId: string): string[] {
    const id = principalId.toLowerCase();
    return this.groups.filter((g) => g.memberOids.includes(id)).map((g) => g.id);
  }

  /** Whether `principalId` (a group, for instance) holds an app role assignment on `resourceAppId` itself. */
  isAssignedTo(principalId: string, resourceAppId: string): boolean {
    return (this.roleGrants.get(principalId.toLowerCase())?.get(resourceAppId)?.size ?? 0) > 0;
  }

  /** App role values `principalId` holds on `resourceAppId`, directly or through its groups. */
  appRolesOf(principalId: string, resourceAppId: string): string[] {
    const out = new Set<string>();
    for (const id of [principalId.toLowerCase(), ...this.groupIdsOf(principalId)]) {
      for (const r of this.roleGrants.get(id)?.get(resourceAppId) ?? []) out.add(r);
    }
    return [...out].sort();
  }
}
