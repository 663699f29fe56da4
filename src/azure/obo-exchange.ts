import { ConfidentialClientApplication, LogLevel, type Configuration } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import type { AzureEndpoints } from './azure-endpoints.ts';
import { OboExchangeError, mapMsalError } from './obo-error.ts';
import type { MsalClientCredential } from './service-credential.ts';

export interface OboExchangeRequest {
  /** The user's access token for Elevate's API (audience = Elevate); hostile until Entra accepts it. */
  userAssertion: string;
  /** e.g. ['https://management.azure.com/user_impersonation'] */
  scopes: string[];
  endpoints: AzureEndpoints;
  clientCredential: MsalClientCredential;
}

export interface OboExchangeResult {
  accessToken: string;
  expiresOn: Date;
  /** The new token's id, for audit correlation. */
  uti: string | undefined;
  scopes: string[];
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const SCOPE = /^[A-Za-z0-9:/._-]{1,200}$/;

/**
 * One on-behalf-of exchange with a ConfidentialClientApplication built for it alone: MSAL caches
 * tokens in memory per instance, so the instance lives for this call and its cache is cleared in
 * `finally`. The authority's metadata is supplied from our endpoints and the host is a known
 * authority, so MSAL makes no instance-discovery or OpenID-configuration call anywhere; the only
 * request is the token request to the tenant's token endpoint.
 */
export async function exchangeOnBehalfOf(request: OboExchangeRequest): Promise<OboExchangeResult> {
  const { userAssertion, scopes, endpoints } = request;
  if (typeof userAssertion !== 'string' || userAssertion.length > 16_384 || !JWT_SHAPE.test(userAssertion)) {
    throw new OboExchangeError('invalid_assertion', undefined, undefined);
  }
  if (scopes.length === 0 || !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))) {
    throw new OboExchangeError('invalid_scope', undefined, undefined);
  }

  const cca = new ConfidentialClientApplication(msalConfiguration(endpoints, request.clientCredential));
  try {
    const result = await cca.acquireTokenOnBehalfOf({ oboAssertion: userAssertion, scopes, skipCache: true });
    if (!result?.accessToken || !result.expiresOn) throw new OboExchangeError('exchange_failed', undefined, undefined);
    return { accessToken: result.accessToken, expiresOn: result.expiresOn, uti: tokenId(result.accessToken), scopes: result.scopes };
  } catch (err) {
    throw mapMsalError(err);
  } finally {
    cca.clearCache();
  }
}

export function msalConfiguration(endpoints: AzureEndpoints, credential: MsalClientCredential): Configuration {
  const { authority } = endpoints;
  return {
    auth: {
      clientId: endpoints.clientId,
      authority,
      knownAuthorities: endpoints.knownAuthorities,
      // Supplying the metadata ourselves removes MSAL's discovery round trip and keeps every
      // request on the configured authority.
      authorityMetadata: JSON.stringify({
        issuer: `${authority}/v2.0`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        jwks_uri: endpoints.jwksUri,
      }),
      cloudDiscoveryMetadata: JSON.stringify({
        tenant_discovery_endpoint: endpoints.openIdConfigurationUrl,
        metadata: [{ preferred_network: endpoints.knownAuthorities[0], preferred_cache: endpoints.knownAuthorities[0], aliases: endpoints.knownAuthorities }],
      }),
      ...credential,
    },
    system: {
      // MSAL's logs can include request details; Elevate logs outcomes itself.
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
    },
  };
}

function tokenId(accessToken: string): string | undefined {
  try {
    const uti = decodeJwt(accessToken).uti;
    return typeof uti === 'string' ? uti : undefined;
  } catch {
    // Access tokens are opaque to clients; a non-JWT token simply has no id to record.
    return undefined;
  }
}
