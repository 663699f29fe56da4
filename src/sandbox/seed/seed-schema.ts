import { z } from 'zod';
import { groupMembershipClaimsSchema } from './group-membership-claims.ts';
import { conditionalAccessPolicySchema } from './conditional-access-schema.ts';

/**
 * Shape of a sandbox seed file (src/sandbox/seed/default-seed.json is the default). Objects are
 * strict so a misspelt key fails loudly instead of silently seeding less; `$comment` is allowed
 * everywhere for documentation.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const guid = z.string().regex(GUID, 'expected a GUID');
const comment = { $comment: z.string().optional() };
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._()-]{0,89}$/, 'expected an Azure resource name');
/** Resource names: ARM allows more than resource group names, e.g. spaces (alert rules), `;` (backup items), `*` (DNS records). */
const resourceName = z.string().regex(/^[\p{L}\p{N}_.()@;*:+,'!$=~\[\]-](?:[\p{L}\p{N}_.()@ ;*:+,'!$=~\[\]-]{0,258}[\p{L}\p{N}_.()@;*:+,'!$=~\[\]-])?$/u, 'expected an Azure resource name');
const key = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'expected a lower-case key');
/** `user:<key>`, `group:<key>`, `app:<key>` (service principal) or `mi:<key>` (managed identity). */
/** The `resource` of an appRoleAssignment that grants a Microsoft Graph application permission. */
export const GRAPH_RESOURCE_KEY = 'microsoft-graph';

const principalRef = z.string().regex(/^(user|group|app|mi):[a-z0-9][a-z0-9-]{0,40}$/, 'expected user:|group:|app:|mi:<key>');

const appRole = z.strictObject({
  ...comment,
  value: z.string().min(1),
  displayName: z.string().min(1),
  id: guid,
  allowedMemberTypes: z.array(z.enum(['User', 'Application'])).min(1),
});

/**
 * Optional claims of an app registration, in the manifest's shape (`optionalClaims.idToken` /
 * `.accessToken`, each `{ name }`). Entra issues `auth_time` and `acct` only when the app asks
 * for them: https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
 * An absent block means none configured, which is Entra's default.
 */
export const OPTIONAL_CLAIM_NAMES = ['auth_time', 'acct'] as const;
const optionalClaimList = z.array(z.strictObject({ ...comment, name: z.enum(OPTIONAL_CLAIM_NAMES) })).default([]);
const optionalClaims = z.strictObject({ ...comment, idToken: optionalClaimList, accessToken: optionalClaimList }).default({ idToken: [], accessToken: [] });

const application = z.strictObject({
  ...comment,
  key,
  displayName: z.string().min(1),
  clientId: guid,
  servicePrincipalId: guid,
  clientSecrets: z.array(z.string().min(16)),
  /** File stem under the data directory for a certificate credential the sandbox generates. */
  generatedCertificate: z.string().regex(/^[a-z0-9-]{1,40}$/).optional(),
  identifierUris: z.array(z.string().min(1)),
  accessTokenVersion: z.union([z.literal(1), z.literal(2)]),
  redirectUris: z.array(z.url()),
  postLogoutRedirectUris: z.array(z.url()),
  exposedScopes: z.array(z.strictObject({ value: z.string().min(1), id: guid })),
  appRoles: z.array(appRole),
  /** Admin-consented delegated permissions: resource (identifier URI) and scope values. */
  grantedPermissions: z.array(z.strictObject({ resource: z.string().min(1), scopes: z.array(z.string().min(1)).min(1) })),
  optionalClaims,
  /** Which groups the `groups` claim lists (group-membership-claims.ts); null, as in a new registration. */
  groupMembershipClaims: groupMembershipClaimsSchema,
  /**
   * Authentication > "Allow public client flows" (manifest `isFallbackPublicClient`): whether the
   * app may redeem a device code (or use other public client flows) without a client credential.
   * Off for a new registration, as in Entra; then the token endpoint answers AADSTS7000218.
   * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
   */
  isFallbackPublicClient: z.boolean().default(false),
  federatedCredentials: z.array(
    z.strictObject({
      ...comment,
      id: guid,
      name: z.string().min(1),
      issuer: z.string().min(1),
      subject: z.string().min(1),
      audiences: z.array(z.string().min(1)).min(1),
    }),
  ),
});

const resourceChild = z.strictObject({
  ...comment,
  type: z.string().regex(/^[A-Za-z]+$/),
  name: resourceName,
  properties: z.record(z.string(), z.unknown()).default({}),
});

const resource = z.strictObject({
  ...comment,
  type: z.string().regex(/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+\/[A-Za-z]+$/, 'expected Namespace.Provider/type'),
  name: resourceName,
  location: z.string().optional(),
  kind: z.string().optional(),
  sku: z.record(z.string(), z.unknown()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z.record(z.string(), z.unknown()).default({}),
  /** Virtual machines: running | stopped | deallocated. */
  powerState: z.enum(['running', 'stopped', 'deallocated']).optional(),
  children: z.array(resourceChild).default([]),
});

export const seedSchema = z.strictObject({
  ...comment,
  tenant: z.strictObject({ id: guid, displayName: z.string().min(1), domain: z.string().min(3) }),
  tokenLifetimeSeconds: z.number().int().min(60).max(86_400).default(3600),
  applications: z.array(application).min(1),
  managedIdentities: z.array(
    z.strictObject({ ...comment, key, name, clientId: guid, principalId: guid, subscription: key, resourceGroup: name }),
  ),
  agent: z.strictObject({ identity: key, managedResourceGroups: z.array(name).length(2) }),
  users: z.array(
    z.strictObject({
      ...comment,
      key,
      oid: guid,
      upn: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'expected user@domain'),
      displayName: z.string().min(1),
      kind: z.enum(['work', 'personal', 'guest']),
      /** Graph's mail, otherMails and proxyAddresses ('SMTP:' primary, 'smtp:' others). */
      mail: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'expected user@domain').optional(),
      otherMails: z.array(z.string().min(3)).default([]),
      proxyAddresses: z.array(z.string().regex(/^(SMTP|smtp):[^@\s]+@[^@\s]+$/, 'expected SMTP:user@domain or smtp:user@domain')).default([]),
      homeTenantId: guid.optional(),
      /**
       * Personal accounts only: invited to the tenant as a B2B guest (then signs in with the
       * tenant's `tid` and `idp` = live.com), or not (then Entra refuses the sign-in, AADSTS50020).
       */
      invited: z.boolean().optional(),
      /** Role values on the `elevate` application. */
      appRoles: z.array(z.string().min(1)),
      /**
       * Has registered a multifactor authentication method. A new user has none (Entra's default):
       * a policy requiring MFA then answers AADSTS50079 (enroll) instead of AADSTS50076, and the
       * user registers during the sign-in that satisfies it.
       * https://learn.microsoft.com/entra/identity/authentication/concept-registration-mfa-sspr-combined
       */
      mfaRegistered: z.boolean().default(false),
    }),
  ),
  /** Conditional Access policies (conditional-access-schema.ts); a tenant has none by default. */
  conditionalAccessPolicies: z.array(conditionalAccessPolicySchema).default([]),
  /** Members: a user key, or a principal reference (managed identities and apps can be members too). */
  groups: z.array(
    z.strictObject({
      ...comment,
      key,
      id: guid,
      displayName: z.string().min(1),
      /**
       * Graph's `securityEnabled`: a security group (the default here) or not (a Microsoft 365 or
       * distribution group), which decides whether groupMembershipClaims "SecurityGroup" lists it.
       * https://learn.microsoft.com/graph/api/resources/group
       */
      securityEnabled: z.boolean().default(true),
      members: z.array(z.union([key, principalRef])),
    }),
  ),
  /** `resource`: an application key, or `microsoft-graph` for Graph application permissions. */
  appRoleAssignments: z.array(z.strictObject({ ...comment, principal: principalRef, resource: key, role: z.string().min(1) })),
  managementGroups: z.array(
    z.strictObject({ ...comment, id: z.string().regex(/^[A-Za-z0-9_.()-]{1,90}$/), displayName: z.string().min(1), subscriptions: z.array(key) }),
  ),
  subscriptions: z.array(z.strictObject({ ...comment, key, subscriptionId: guid, displayName: z.string().min(1) })).min(1),
  resourceGroups: z.array(
    z.strictObject({
      ...comment,
      subscription: key,
      name,
      location: z.string().min(1),
      tags: z.record(z.string(), z.string()).optional(),
      resources: z.array(resource),
    }),
  ),
  roleAssignments: z.array(
    z.strictObject({
      ...comment,
      name: guid,
      principal: principalRef,
      /** Built-in role name, resolved against the role catalog. */
      role: z.string().min(1),
      scope: z.string().startsWith('/'),
      description: z.string().optional(),
    }),
  ),
  denyAssignments: z.array(
    z.strictObject({
      ...comment,
      name: guid,
      denyAssignmentName: z.string().min(1),
      description: z.string().optional(),
      scope: z.string().startsWith('/'),
      actions: z.array(z.string().min(1)).min(1),
      notActions: z.array(z.string()).default([]),
      /** `everyone` is ARM's all-principals entry (00000000-0000-0000-0000-000000000000, SystemDefined). */
      principals: z.array(z.union([principalRef, z.literal('everyone')])).min(1),
      excludePrincipals: z.array(principalRef).default([]),
      doNotApplyToChildScopes: z.boolean().default(false),
      isSystemProtected: z.boolean().default(false),
    }),
  ),
});

export type SandboxSeed = z.infer<typeof seedSchema>;
export type SeedApplication = SandboxSeed['applications'][number];
export type SeedResource = SandboxSeed['resourceGroups'][number]['resources'][number];
