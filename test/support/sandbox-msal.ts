import { ConfidentialClientApplication, CryptoProvider, LogLevel, type AuthenticationResult, type Configuration } from '@azure/msal-node';
import { completeAuthorize, CookieJar, type AuthorizeOutcome } from './browser-sign-in.ts';
import { sandboxAuthority, sandboxInfo } from './sandbox-context.ts';

/**
 * MSAL Node configured against the sandbox exactly as against Entra, except for the authority:
 * `${authorityHost}/${tenantId}` with the sandbox host listed in knownAuthorities, which is what
 * stops MSAL from calling login.microsoftonline.com for instance discovery. MSAL then reads the
 * tenant's OpenID configuration from the sandbox.
 */
export function sandboxMsalConfig(auth: Omit<Configuration['auth'], 'authority' | 'knownAuthorities'>): Configuration {
  const s = sandboxInfo();
  return {
    auth: { ...auth, authority: sandboxAuthority(), knownAuthorities: [new URL(s.authorityHost).host] },
    system: { loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined } },
  };
}

/** Elevate's own confidential client (secret credential). */
export function elevateMsalApp(): ConfidentialClientApplication {
  const app = sandboxInfo().tenant.elevateApp;
  return new ConfidentialClientApplication(sandboxMsalConfig({ clientId: app.clientId, clientSecret: app.clientSecret }));
}

export const ELEVATE_REDIRECT_URI = 'http://localhost:3000/auth/callback';

export interface MsalSignIn {
  result: AuthenticationResult;
  outcome: AuthorizeOutcome;
  jar: CookieJar;
}

/**
 * The authorization code flow with PKCE through MSAL: getAuthCodeUrl, the sign-in page driven as a
 * browser, acquireTokenByCode.
 */
export async function signInWithMsal(
  app: ConfidentialClientApplication,
  user: string,
  opts: { scopes: string[]; redirectUri?: string; jar?: CookieJar; prompt?: string; loginHint?: string; extraQueryParameters?: Record<string, string> },
): Promise<MsalSignIn> {
  const redirectUri = opts.redirectUri ?? ELEVATE_REDIRECT_URI;
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = new CryptoProvider().createNewGuid();
  const nonce = new CryptoProvider().createNewGuid();
  const url = await app.getAuthCodeUrl({
    scopes: opts.scopes,
    redirectUri,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    state,
    nonce,
    ...(opts.prompt ? { prompt: opts.prompt } : {}),
    ...(opts.loginHint ? { loginHint: opts.loginHint } : {}),
    ...(opts.extraQueryParameters ? { extraQueryParameters: opts.extraQueryParameters } : {}),
  });
  const jar = opts.jar ?? new CookieJar();
  const outcome = await completeAuthorize(url, { user, jar });
  if (!outcome.code) throw new Error(`sign-in did not return a code: ${outcome.error ?? ''} ${outcome.errorDescription ?? outcome.errorPage?.text ?? ''}`);
  // MSAL compares the state it sent with the one returned, and the ID token's nonce with its own
  const result = await app.acquireTokenByCode(
    { code: outcome.code, scopes: opts.scopes, redirectUri, codeVerifier: pkce.verifier, state, nonce },
    { code: outcome.code, state: outcome.state ?? '' },
  );
  return { result, outcome, jar };
}

/** A user's delegated access token for Elevate's API (what a browser session gives Elevate), via MSAL. */
export async function userTokenForElevate(user: string): Promise<string> {
  const { result } = await signInWithMsal(elevateMsalApp(), user, { scopes: [sandboxInfo().tenant.elevateApp.delegatedScope] });
  return result.accessToken;
}

/** A user's delegated ARM token, the way Elevate gets one: the user's token for Elevate exchanged on-behalf-of. */
export async function armTokenForUser(user: string): Promise<string> {
  const result = await elevateMsalApp().acquireTokenOnBehalfOf({
    oboAssertion: await userTokenForElevate(user),
    scopes: ['https://management.azure.com/user_impersonation'],
    skipCache: true,
  });
  if (!result) throw new Error('on-behalf-of returned no token');
  return result.accessToken;
}
