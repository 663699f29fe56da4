import type { Config } from '../config/load-config.ts';

/**
 * Where Elevate's Azure traffic goes and who it is. The same adapters run against the sandbox and
 * a real tenant; only these values differ.
 */
export interface AzureEndpoints {
  mode: Config['mode'];
  /** The login.microsoftonline.com equivalent, no trailing slash. */
  authorityHost: string;
  tenantId: string;
  /** `${authorityHost}/${tenantId}` */
  authority: string;
  /** Hosts (host[:port]) MSAL may trust without asking Microsoft's instance-discovery endpoint. */
  knownAuthorities: string[];
  /** True when the authority is not Microsoft's, so no SDK may call Microsoft's instance discovery. */
  disableInstanceDiscovery: boolean;
  /** Origin a browser is sent to for /authorize; the sandbox serves its sign-in page over plain http. */
  browserAuthorityHost: string;
  /** management.azure.com equivalent, no trailing slash. */
  armEndpoint: string;
  /** Token scope for ARM; the sandbox issues tokens for the real ARM audience too. */
  armScope: string;
  /** graph.microsoft.com equivalent (sovereign clouds: their Graph host), no trailing slash. */
  graphEndpoint: string;
  /** Token scope for Microsoft Graph: `{graph}/.default`; the sandbox serves Graph for the real audience. */
  graphScope: string;
  /** Elevate's own app registration. */
  clientId: string;
  /** App ID URI agents request tokens for (api://{clientId} by default). */
  apiAudience: string;
  /** Audiences accepted on Elevate's API: the client id (v2 tokens) and the App ID URI (v1 tokens). */
  apiAudiences: string[];
  /** Accepted `iss` values for tokens issued by this tenant (v2 and v1 forms). */
  issuers: string[];
  jwksUri: string;
  openIdConfigurationUrl: string;
  /** Set in sandbox mode: the IMDS endpoint ManagedIdentityCredential must call. */
  imdsEndpoint: string | undefined;
}

export const ARM_SCOPE = 'https://management.azure.com/.default';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** What a started sandbox tells the service (a structural subset of `SandboxHandle`). */
export interface SandboxEndpointSource {
  origin: string;
  browserOrigin: string;
  authorityHost: string;
  armEndpoint: string;
  /** absent where the shape is rebuilt from `sandbox info` (CLI, tests): the sandbox serves Graph on its https origin */
  graphEndpoint?: string;
  imdsEndpoint: string;
  tenant: { tenantId: string; elevateApp: { clientId: string; clientSecret: string; apiAudience: string } };
}

/** How Elevate proves it is its own app registration. */
export type ServiceCredentialSource =
  | { kind: 'secret'; clientSecret: string }
  | { kind: 'workload-identity'; tokenFile: string }
  | { kind: 'managed-identity'; managedIdentityClientId: string };

export class AzureSetupError extends Error {
  override name = 'AzureSetupError';
}

const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
]);

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * Resolves the endpoints from the config (a real tenant) or from the running sandbox. Throws
 * `AzureSetupError` when sandbox mode has no sandbox or real mode lacks ids (loadConfig already
 * enforces those, so this is a guard, not the user-facing check).
 */
export function resolveAzureEndpoints(config: Config, sandbox?: SandboxEndpointSource): AzureEndpoints {
  if (config.mode === 'sandbox') {
    if (!sandbox) throw new AzureSetupError('sandbox mode needs a running sandbox to resolve Azure endpoints');
    const authorityHost = trimSlash(sandbox.authorityHost);
    const app = sandbox.tenant.elevateApp;
    return build({
      mode: 'sandbox',
      authorityHost,
      tenantId: sandbox.tenant.tenantId,
      browserAuthorityHost: trimSlash(sandbox.browserOrigin),
      armEndpoint: trimSlash(sandbox.armEndpoint),
      // The sandbox serves Graph's /v1.0 on its https origin.
      graphEndpoint: trimSlash(sandbox.graphEndpoint ?? sandbox.origin),
      graphScope: GRAPH_SCOPE,
      clientId: app.clientId,
      apiAudience: app.apiAudience,
      imdsEndpoint: sandbox.imdsEndpoint,
      // Elevate's registration in the sandbox keeps Entra's default access token version, 1
      // (requestedAccessTokenVersion null): its API tokens come from the v1 issuer.
      v1Issuer: true,
    });
  }
  const { tenantId, clientId, apiAudience, authorityHost, armEndpoint, graphEndpoint } = config.azure;
  if (!tenantId || !clientId) throw new AzureSetupError('AZURE_TENANT_ID and AZURE_CLIENT_ID are required with a real tenant');
  return build({
    mode: 'azure',
    authorityHost: trimSlash(authorityHost),
    tenantId,
    browserAuthorityHost: trimSlash(authorityHost),
    armEndpoint: trimSlash(armEndpoint),
    // Graph national clouds (https://learn.microsoft.com/graph/deployments): the token scope is the host's own.
    graphEndpoint: trimSlash(graphEndpoint),
    graphScope: `${trimSlash(graphEndpoint)}/.default`,
    clientId,
    apiAudience: apiAudience ?? `api://${clientId}`,
    imdsEndpoint: undefined,
    v1Issuer: true,
  });
}

function build(p: {
  mode: Config['mode'];
  authorityHost: string;
  tenantId: string;
  browserAuthorityHost: string;
  armEndpoint: string;
  graphEndpoint: string;
  graphScope: string;
  clientId: string;
  apiAudience: string;
  imdsEndpoint: string | undefined;
  v1Issuer: boolean;
}): AzureEndpoints {
  const authorityUrl = new URL(p.authorityHost);
  const authority = `${p.authorityHost}/${p.tenantId}`;
  const issuers = [`${authority}/v2.0`];
  // Entra issues v1 tokens (iss sts.windows.net, whichever host they were asked from) to apps whose
  // manifest keeps the default access token version, 1. Accepting the name adds no trust: a token
  // is still verified against the configured authority's keys and must name the tenant.
  if (p.v1Issuer) issuers.push(`https://sts.windows.net/${p.tenantId}/`);
  return {
    mode: p.mode,
    authorityHost: p.authorityHost,
    tenantId: p.tenantId,
    authority,
    knownAuthorities: [authorityUrl.host],
    disableInstanceDiscovery: !MICROSOFT_AUTHORITY_HOSTS.has(authorityUrl.hostname),
    browserAuthorityHost: p.browserAuthorityHost,
    armEndpoint: p.armEndpoint,
    armScope: ARM_SCOPE,
    graphEndpoint: p.graphEndpoint,
    graphScope: p.graphScope,
    clientId: p.clientId,
    apiAudience: p.apiAudience,
    apiAudiences: [...new Set([p.clientId, p.apiAudience])],
    issuers,
    jwksUri: `${authority}/discovery/v2.0/keys`,
    openIdConfigurationUrl: `${authority}/v2.0/.well-known/openid-configuration`,
    imdsEndpoint: p.imdsEndpoint,
  };
}

/** Elevate's own credential: the sandbox app's secret, or what the real-mode config selects. */
export function resolveServiceCredentialSource(config: Config, sandbox?: SandboxEndpointSource): ServiceCredentialSource {
  if (config.mode === 'sandbox') {
    if (!sandbox) throw new AzureSetupError('sandbox mode needs a running sandbox to resolve the service credential');
    return { kind: 'secret', clientSecret: sandbox.tenant.elevateApp.clientSecret };
  }
  const a = config.azure;
  switch (a.credential) {
    case 'secret':
      if (a.clientSecret) return { kind: 'secret', clientSecret: a.clientSecret };
      throw new AzureSetupError('AZURE_CLIENT_SECRET: required for ELEVATE_CLIENT_CREDENTIAL=secret');
    case 'workload-identity':
      if (a.federatedTokenFile) return { kind: 'workload-identity', tokenFile: a.federatedTokenFile };
      throw new AzureSetupError('AZURE_FEDERATED_TOKEN_FILE: required for ELEVATE_CLIENT_CREDENTIAL=workload-identity');
    case 'managed-identity':
      if (a.managedIdentityClientId) return { kind: 'managed-identity', managedIdentityClientId: a.managedIdentityClientId };
      throw new AzureSetupError('ELEVATE_MANAGED_IDENTITY_CLIENT_ID: required for ELEVATE_CLIENT_CREDENTIAL=managed-identity');
    default:
      throw new AzureSetupError('ELEVATE_CLIENT_CREDENTIAL: not resolved; load the config with loadConfig');
  }
}
