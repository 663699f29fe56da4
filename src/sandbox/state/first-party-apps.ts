/**
 * Microsoft first-party resources the sandbox's Entra knows about, with their real app ids and
 * identifier URIs, so clients ask for the same scopes they would against Azure.
 */

export const CONSUMERS_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export interface FirstPartyResource {
  appId: string;
  displayName: string;
  identifierUris: string[];
  /** The `aud` the resource's access tokens carry. */
  audience: string;
  accessTokenVersion: 1 | 2;
  /** Delegated scopes the resource exposes. */
  scopes: string[];
  /** Scopes any user may consent to for any app (no admin consent needed). */
  userConsentable: string[];
}

export const ARM_APP_ID = '797f4846-ba00-4fd7-ba43-dac1f8f63013';
export const ARM_AUDIENCE = 'https://management.azure.com/';
/** Every audience ARM accepts on a bearer token. */
export const ARM_ACCEPTED_AUDIENCES = [
  'https://management.azure.com/',
  'https://management.azure.com',
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
];

/** Azure Storage: tokens for `https://storage.azure.com/.default` carry aud https://storage.azure.com. */
export const STORAGE_APP_ID = 'e406a681-f3d4-42a8-90b6-c2b029497af1';
export const STORAGE_AUDIENCE = 'https://storage.azure.com';
/** Every audience the Blob service accepts on a bearer token (the sandbox has no account-specific hosts). */
export const STORAGE_ACCEPTED_AUDIENCES = ['https://storage.azure.com', 'https://storage.azure.com/', STORAGE_APP_ID];

/**
 * Azure Database for PostgreSQL's Entra sign-in ("Azure OSSRDBMS Database"): tokens for
 * `https://ossrdbms-aad.database.windows.net/.default` are the password of the principal's role.
 * https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-configure-sign-in-azure-ad-authentication
 */
export const OSSRDBMS_APP_ID = '123cd850-d9df-40bd-94d5-c9f07b7fa203';
export const OSSRDBMS_AUDIENCE = 'https://ossrdbms-aad.database.windows.net';
/** Every audience the PostgreSQL front accepts (src/sandbox/postgres). */
export const OSSRDBMS_ACCEPTED_AUDIENCES = [OSSRDBMS_AUDIENCE, `${OSSRDBMS_AUDIENCE}/`, OSSRDBMS_APP_ID];

export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/**
 * "Azure Monitor Action Group": the first-party client an action group's secure webhook gets its
 * token as, for the app registration the webhook names (Elevate's); its service principal in the
 * tenant holds one of that registration's app roles. A client, not a resource: it calls, nothing
 * asks for tokens to it. The seed holds its service principal (applications: azure-monitor-action-group).
 * https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups#secure-webhook
 */
export const ACTION_GROUP_APP_ID = '461e8683-5575-4561-ac7f-899cc907d62a';
export const ACTION_GROUP_APP_NAME = 'Azure Monitor Action Group';
export const TOKEN_EXCHANGE_APP_ID = 'fb60f99c-7a34-4190-8149-302f77469936';
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export const FIRST_PARTY_RESOURCES: FirstPartyResource[] = [
  {
    appId: ARM_APP_ID,
    displayName: 'Windows Azure Service Management API',
    identifierUris: ['https://management.azure.com/', 'https://management.core.windows.net/'],
    audience: ARM_AUDIENCE,
    accessTokenVersion: 1,
    scopes: ['user_impersonation'],
    userConsentable: [],
  },
  {
    appId: STORAGE_APP_ID,
    displayName: 'Azure Storage',
    identifierUris: ['https://storage.azure.com/', 'https://storage.azure.com'],
    audience: STORAGE_AUDIENCE,
    accessTokenVersion: 1,
    scopes: ['user_impersonation'],
    userConsentable: [],
  },
  {
    appId: OSSRDBMS_APP_ID,
    displayName: 'Azure OSSRDBMS Database',
    identifierUris: [OSSRDBMS_AUDIENCE, `${OSSRDBMS_AUDIENCE}/`],
    audience: OSSRDBMS_AUDIENCE,
    accessTokenVersion: 1,
    scopes: ['user_impersonation'],
    userConsentable: [],
  },
  {
    appId: GRAPH_APP_ID,
    displayName: 'Microsoft Graph',
    identifierUris: ['https://graph.microsoft.com/', 'https://graph.microsoft.com'],
    audience: GRAPH_APP_ID,
    accessTokenVersion: 1,
    scopes: ['User.Read', 'openid', 'profile', 'email', 'offline_access'],
    userConsentable: ['User.Read', 'openid', 'profile', 'email', 'offline_access'],
  },
  {
    appId: TOKEN_EXCHANGE_APP_ID,
    displayName: 'AAD Token Exchange',
    identifierUris: [TOKEN_EXCHANGE_AUDIENCE],
    audience: TOKEN_EXCHANGE_APP_ID,
    accessTokenVersion: 2,
    scopes: [],
    userConsentable: [],
  },
];

/** OpenID Connect scopes: they ask for an ID token and claims, not for a resource. */
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
