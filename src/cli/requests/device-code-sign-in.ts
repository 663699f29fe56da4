/**
 * Signs the administrator in with the device code flow (MSAL Node's
 * PublicClientApplication.acquireTokenByDeviceCode) and returns the access token for Elevate's API.
 * Each call builds a NEW client application with MSAL's default in-memory cache and no cache
 * plugin: no token, refresh token or account is ever written to disk, and a second call (the
 * fresh sign-in of an elevation, or the sign-in that answers a claims challenge) cannot be
 * answered silently from an earlier one's cache; acquireTokenByDeviceCode does not read the cache
 * either, it always starts a new flow.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
 *
 * `claims` is a claims request Entra asked for (a Conditional Access claims challenge that Elevate
 * relayed, already checked by claims-challenge-header.ts). MSAL sends it with the device
 * authorization request and the token requests (its DeviceCodeClient adds `claims` to both), so
 * the sign-in on the device login page asks for what the challenge names, MFA say.
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */
import { LogLevel, PublicClientApplication } from '@azure/msal-node';
import { CliError } from '../cli-output.ts';
import type { RequestsCliSettings } from './requests-cli-settings.ts';

/** Never longer than Entra's own device code lifetime (15 minutes). */
const SIGN_IN_TIMEOUT_SECONDS = 900;

export async function signInWithDeviceCode(s: RequestsCliSettings, say: (line: string) => void, claims?: string): Promise<string> {
  const app = new PublicClientApplication({
    auth: { clientId: s.clientId, authority: s.authority, ...(s.knownAuthorities.length > 0 ? { knownAuthorities: s.knownAuthorities } : {}) },
    system: { loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined } },
  });
  try {
    const result = await app.acquireTokenByDeviceCode({
      scopes: [s.scope],
      timeout: SIGN_IN_TIMEOUT_SECONDS,
      ...(claims ? { claims } : {}),
      deviceCodeCallback: (r) => say(r.message),
    });
    if (!result?.accessToken) throw new CliError('the sign-in returned no access token', 1);
    return result.accessToken;
  } catch (err) {
    if (err instanceof CliError) throw err;
    // MSAL's message names the Entra error (authorization_declined, expired_token, AADSTS7000218 ...), never a token
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new CliError(`sign-in failed: ${message.replace(/Trace ID:.*$/, '').trim()}`, 1);
  }
}
