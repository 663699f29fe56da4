import type { Directory, DirectoryApplication } from '../state/directory.ts';
import type { AuthorizeRequest } from '../state/entra-sessions.ts';
import { parseClaimsRequest } from './claims-request.ts';
import { EntraError, entraErrors } from './entra-errors.ts';
import { param, type FormBody } from './form-params.ts';
import { isRegisteredUri } from './redirect-uri.ts';
import { consentedScopes, parseScopeRequest } from './scope-request.ts';

/**
 * Validates an /authorize request in Entra's order: problems with the tenant, the client or the
 * redirect URI are shown on an error page (redirecting would hand the error to an unverified
 * URI); everything after that goes back to the app's redirect URI as `error`/`error_description`.
 */
export class AuthorizeFailure extends Error {
  constructor(
    readonly err: EntraError,
    readonly redirect?: { uri: string; state: string | undefined; responseMode: 'query' | 'form_post' },
  ) {
    super(err.message);
  }
}

const CHALLENGE = /^[A-Za-z0-9_-]{43,128}$/;
const PROMPTS = new Set(['login', 'none', 'select_account', 'consent']);

export function parseAuthorizeRequest(
  q: FormBody,
  tenantId: string,
  directory: Directory,
): { request: AuthorizeRequest; client: DirectoryApplication } {
  let clientId: string | undefined;
  let redirectUri: string | undefined;
  try {
    clientId = param(q, 'client_id');
    redirectUri = param(q, 'redirect_uri');
  } catch (err) {
    throw new AuthorizeFailure(err as EntraError);
  }
  if (!clientId) throw new AuthorizeFailure(entraErrors.missingParameter('client_id'));
  const client = directory.application(clientId);
  if (!client) throw new AuthorizeFailure(entraErrors.unknownApplication(clientId.slice(0, 100), tenantId));
  if (!redirectUri) throw new AuthorizeFailure(entraErrors.missingParameter('redirect_uri'));
  if (!isRegisteredUri(redirectUri, client.redirectUris)) throw new AuthorizeFailure(entraErrors.redirectUriMismatch(redirectUri.slice(0, 300), client.clientId));

  let state: string | undefined;
  let responseMode: 'query' | 'form_post' = 'query';
  const fail = (err: EntraError): never => {
    throw new AuthorizeFailure(err, { uri: redirectUri!, state, responseMode });
  };
  try {
    state = param(q, 'state');
    const mode = param(q, 'response_mode');
    if (mode === 'form_post') responseMode = 'form_post';
    else if (mode !== undefined && mode !== 'query') fail(entraErrors.invalidRequest(`response_mode '${mode.slice(0, 40)}' is not supported with response_type=code.`));

    const responseType = param(q, 'response_type');
    if (!responseType) fail(entraErrors.missingParameter('response_type'));
    if (responseType !== 'code') fail(entraErrors.unsupportedResponseType(responseType!.slice(0, 40)));

    const scope = param(q, 'scope');
    const scopes = parseScopeRequest(scope, directory);
    consentedScopes(client, scopes, directory);

    const codeChallenge = param(q, 'code_challenge');
    const method = param(q, 'code_challenge_method');
    if (!codeChallenge || method !== 'S256' || !CHALLENGE.test(codeChallenge)) fail(entraErrors.pkceRequired());

    const prompt = param(q, 'prompt');
    if (prompt !== undefined && !PROMPTS.has(prompt)) fail(entraErrors.invalidRequest(`prompt '${prompt.slice(0, 40)}' is not supported.`));
    const maxAgeRaw = param(q, 'max_age');
    let maxAge: number | undefined;
    if (maxAgeRaw !== undefined) {
      if (!/^\d{1,9}$/.test(maxAgeRaw)) fail(entraErrors.invalidRequest('max_age must be a whole number of seconds.'));
      maxAge = Number(maxAgeRaw);
    }
    const claims = parseClaimsRequest(param(q, 'claims'));
    return {
      client,
      request: {
        tenantId,
        clientId: client.clientId,
        redirectUri: redirectUri!,
        responseMode,
        scope: scope!,
        state,
        nonce: param(q, 'nonce'),
        codeChallenge: codeChallenge!,
        loginHint: param(q, 'login_hint'),
        prompt,
        maxAge,
        claims,
      },
    };
  } catch (err) {
    if (err instanceof AuthorizeFailure) throw err;
    if (err instanceof EntraError) fail(err);
    throw err;
  }
}
