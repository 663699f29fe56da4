import { createHash } from 'node:crypto';
import type { AuthenticatedClient } from './client-authentication.ts';
import type { EntraContext } from './entra-context.ts';
import { entraErrors } from './entra-errors.ts';
import { param, requiredParam, type FormBody } from './form-params.ts';
import { signInTokenResponse } from './sign-in-token-response.ts';

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * authorization_code with PKCE: the code is single-use and short-lived, bound to the client and
 * redirect URI it was issued for, and redeemable only with the verifier of its S256 challenge. A
 * redemption attempt by the right client spends the code even when it then fails, so a verifier
 * cannot be guessed over several tries.
 */
export async function authorizationCodeGrant(body: FormBody, client: AuthenticatedClient, ctx: EntraContext): Promise<Record<string, unknown>> {
  const code = requiredParam(body, 'code');
  const found = ctx.sessions.codes.lookup(code);
  if (found.state === 'absent') throw entraErrors.invalidGrant('The authorization code is not valid.');
  const record = found.value;
  if (record.clientId !== client.app.clientId) throw entraErrors.invalidGrant('The authorization code was issued to another client.');
  if (found.state === 'expired') throw entraErrors.codeExpired();
  if (record.redeemed) throw entraErrors.codeRedeemed();
  record.redeemed = true;

  const redirectUri = requiredParam(body, 'redirect_uri');
  if (redirectUri !== record.redirectUri) throw entraErrors.redirectUriMismatch(redirectUri.slice(0, 300), client.app.clientId);
  const verifier = param(body, 'code_verifier');
  if (!verifier) throw entraErrors.pkceVerifierMissing();
  if (!VERIFIER.test(verifier) || createHash('sha256').update(verifier).digest('base64url') !== record.codeChallenge) throw entraErrors.pkceMismatch();

  return signInTokenResponse(ctx, client, body, record);
}
