/**
 * Everything sign-in needs to know about the tenant and Elevate's app registration, derived
 * from config (or from the sandbox's tenant info once it has started).
 */
/**
 * Elevate's redirect URI path. Its query carries the authorization `code` and `state`
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response),
 * so nothing may record it as it came (see web/redacted-url.ts).
 */
export const CALLBACK_PATH = '/auth/callback';

export interface OidcSettings {
  tenantId: string;
  /** `${authorityHost}/${tenantId}/v2.0`: the discovery base and the expected `iss`. */
  issuer: string;
  clientId: string;
  /** `${publicUrl}/auth/callback`, registered on the app registration. */
  redirectUri: string;
  /** Where the tenant sends the browser after sign-out. */
  postLogoutRedirectUri: string;
  /** Audience of access tokens for Elevate's API, e.g. `api://<clientId>`. */
  apiAudience: string;
  /** Delegated scope requested only when an on-behalf-of exchange will follow. */
  apiScope: string;
}

export interface OidcSettingsInput {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  publicUrl: string;
  apiAudience?: string;
}

export function oidcSettings(input: OidcSettingsInput): OidcSettings {
  const publicUrl = input.publicUrl.replace(/\/+$/, '');
  const apiAudience = input.apiAudience ?? `api://${input.clientId}`;
  return {
    tenantId: input.tenantId.toLowerCase(),
    issuer: `${input.authorityHost.replace(/\/+$/, '')}/${input.tenantId.toLowerCase()}/v2.0`,
    clientId: input.clientId,
    redirectUri: `${publicUrl}${CALLBACK_PATH}`,
    postLogoutRedirectUri: `${publicUrl}/auth/signed-out`,
    apiAudience,
    apiScope: `${apiAudience}/user_impersonation`,
  };
}

/** The scopes of an ordinary sign-in: identity only, and no refresh token (no offline_access). */
export const SIGN_IN_SCOPES = ['openid', 'profile', 'email'] as const;
