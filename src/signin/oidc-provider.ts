import * as client from 'openid-client';
import type { OidcSettings } from './oidc-settings.ts';

/** The discovered tenant: openid-client's configuration plus the endpoints Elevate uses directly. */
export interface OidcProvider {
  settings: OidcSettings;
  configuration: client.Configuration;
  jwksUri: string;
  endSessionEndpoint: string | undefined;
  /**
   * Origins a browser is sent to during sign-in and sign-out. A sign-out form posts to Elevate,
   * which redirects to the tenant, and browsers apply CSP `form-action` to that redirect, so
   * these belong in `form-action`.
   */
  browserOrigins: string[];
}

export interface DiscoverOptions {
  /** Custom fetch for the back-channel (discovery, token, JWKS), e.g. one that trusts a private CA. */
  fetch?: client.CustomFetch;
  /** How the code exchange authenticates Elevate's app registration (see clientAuthFor). */
  clientAuth: client.ClientAuth;
}

/**
 * OpenID discovery at `${issuer}/.well-known/openid-configuration`. openid-client then checks
 * that the document's issuer is exactly the configured one, so a misconfigured authority fails
 * here at start-up and not at someone's first sign-in.
 */
export async function discoverOidcProvider(settings: OidcSettings, options: DiscoverOptions): Promise<OidcProvider> {
  const configuration = await client.discovery(
    new URL(settings.issuer),
    settings.clientId,
    { id_token_signed_response_alg: 'RS256' },
    options.clientAuth,
    options.fetch ? { [client.customFetch]: options.fetch } : undefined,
  );
  const metadata = configuration.serverMetadata();
  if (!metadata.jwks_uri) throw new Error(`OpenID discovery at ${settings.issuer} returned no jwks_uri`);
  if (!metadata.authorization_endpoint) throw new Error(`OpenID discovery at ${settings.issuer} returned no authorization_endpoint`);
  const browserOrigins = [metadata.authorization_endpoint, metadata.end_session_endpoint]
    .filter((u): u is string => typeof u === 'string')
    .map((u) => new URL(u).origin);
  return {
    settings,
    configuration,
    jwksUri: metadata.jwks_uri,
    endSessionEndpoint: metadata.end_session_endpoint,
    browserOrigins: [...new Set(browserOrigins)],
  };
}

/**
 * Discovery on first use, shared by later callers; a failure is not cached, so the next sign-in
 * retries (the tenant being unreachable at start-up must not need a restart).
 */
export function lazyOidcProvider(settings: OidcSettings, options: DiscoverOptions): () => Promise<OidcProvider> {
  let pending: Promise<OidcProvider> | undefined;
  return () => {
    pending ??= discoverOidcProvider(settings, options).catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
