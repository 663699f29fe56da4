import { randomUUID } from 'node:crypto';

/**
 * Errors in Microsoft Entra's shape: an OAuth `error`, an `error_description` that starts with
 * the AADSTS code and ends with trace/correlation ids and a timestamp, and the numeric codes in
 * `error_codes`. Codes and wording follow Entra's own messages so client code that branches on
 * them (MSAL does, on a few) behaves as it would against Azure.
 */
export class EntraError extends Error {
  override name = 'EntraError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string,
    /** extra fields some errors carry (e.g. `suberror`) */
    readonly extra: Record<string, string> = {},
  ) {
    super(`AADSTS${code}: ${description}`);
  }
}

/** Entra's timestamp format: `2016-01-09 02:02:12Z`. */
export function entraTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  [k: string]: unknown;
}

export function entraErrorBody(err: EntraError, correlationId: string | undefined, origin: string): EntraErrorBody {
  const timestamp = entraTimestamp();
  const traceId = randomUUID();
  const correlation = correlationId && /^[0-9a-f-]{36}$/i.test(correlationId) ? correlationId : randomUUID();
  return {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `${origin}/error?code=${err.code}`,
    ...err.extra,
  };
}

const e = (status: number, error: string, code: number, description: string, extra?: Record<string, string>) =>
  new EntraError(status, error, code, description, extra);

/** The errors the sandbox's Entra returns, one constructor per AADSTS code. */
export const entraErrors = {
  missingParameter: (name: string, error = 'invalid_request') =>
    e(400, error, 900144, `The request body must contain the following parameter: '${name}'.`),
  invalidRequest: (detail: string) => e(400, 'invalid_request', 9002313, `Invalid request. Request is malformed or invalid. ${detail}`.trim()),
  tenantNotFound: (tenant: string) =>
    e(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`),
  /**
   * A single-tenant app (every app registration starts as one) used at /common or /organizations:
   * https://learn.microsoft.com/en-us/entra/identity-platform/howto-convert-app-to-be-multi-tenant
   */
  singleTenantAppAtMultiTenantEndpoint: (clientId: string, appName: string) =>
    e(400, 'invalid_request', 50194, `Application '${clientId}'(${appName}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`),
  unsupportedGrantType: (grant: string) => e(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`),
  unknownApplication: (clientId: string, tenant: string) =>
    e(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`),
  invalidClientSecret: (clientId: string) =>
    e(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`),
  missingClientCredential: () => e(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  malformedJwt: (what: string) => e(400, 'invalid_request', 50027, `JWT token is invalid or malformed (${what}).`),
  clientAssertionKeyNotFound: (thumbprint: string, clientId: string) =>
    e(401, 'invalid_client', 700027, `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`),
  clientAssertionSignature: () => e(401, 'invalid_client', 700027, 'Client assertion failed signature validation.'),
  clientAssertionTime: (now: string, nbf: string, exp: string) =>
    e(401, 'invalid_client', 700024, `Client assertion is not within its valid time range. Current time: ${now}, assertion valid from ${nbf}, expiry time of assertion ${exp}. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .`),
  clientAssertionAudience: () => e(401, 'invalid_client', 50013, 'Assertion audience claim does not match the required value.'),
  clientAssertionSubjectMismatch: () => e(401, 'invalid_client', 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ."),
  noMatchingFederatedIdentity: (iss: string, sub: string, aud: string) =>
    e(401, 'invalid_client', 70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud}'. https://docs.microsoft.com/azure/active-directory/develop/workload-identity-federation`),
  // on-behalf-of user assertions
  assertionSignature: (reason: string) =>
    e(400, 'invalid_grant', 50013, `Assertion failed signature validation. [Reason - ${reason}]`),
  assertionExpired: (now: string, exp: string) =>
    e(400, 'invalid_grant', 500133, `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${now}, expiry time of assertion ${exp}.`),
  assertionAudience: (aud: string, clientId: string) =>
    e(400, 'invalid_grant', 50013, `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${clientId}' or one of the Application Id URIs of this web API registered in Azure AD.`),
  assertionNotDelegated: () =>
    e(400, 'invalid_grant', 50013, 'Assertion contains an invalid claim: an app-only token (no scp claim, idtyp app) cannot be used as a user assertion in the on-behalf-of flow.'),
  assertionWrongIssuer: (iss: string) => e(400, 'invalid_grant', 50013, `Assertion failed signature validation. [Reason - The issuer '${iss}' is not trusted.]`),
  userNotInTenant: (user: string, idp: string, tenant: string) =>
    e(400, 'invalid_grant', 50020, `User account '${user}' from identity provider '${idp}' does not exist in tenant '${tenant}' and cannot access the application in that tenant. The account needs to be added as an external user in the tenant first.`),
  // Conditional Access on the token endpoint: the `claims` member is the claims challenge the app
  // hands back to /authorize. AADSTS50079 (no MFA method registered yet) is the documented example:
  // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
  // AADSTS50076 (MFA needed, a method is registered) is what tenants send for it, invalid_grant with
  // suberror basic_action (captured in https://github.com/AzureAD/microsoft-authentication-library-for-js/issues/5491).
  mfaEnrollmentRequired: (resourceAppId: string, claims: string) =>
    e(400, 'interaction_required', 50079, `Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multifactor authentication to access '${resourceAppId}'.`, { claims }),
  /** The same requirement met by a silent (prompt=none) sign-in: only an interactive one can do MFA. */
  mfaRequiredSilently: (resourceAppId: string) =>
    e(400, 'interaction_required', 50076, `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resourceAppId}'.`),
  mfaRequired: (resourceAppId: string, claims: string) =>
    e(400, 'invalid_grant', 50076, `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resourceAppId}'.`, { suberror: 'basic_action', claims }),
  // scopes, resources and consent
  resourceNotFound: (resource: string, tenantName: string) =>
    e(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenantName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`),
  invalidScope: (scope: string) => e(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`),
  multipleResources: (scope: string) =>
    e(400, 'invalid_scope', 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scope} is not valid.`),
  clientCredentialScope: (scope: string) =>
    e(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`),
  consentRequired: (clientId: string, appName: string) =>
    e(400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${clientId}' named '${appName}'. Send an interactive authorization request for this user and resource.`, { suberror: 'consent_required' }),
  // authorization codes and refresh tokens
  invalidGrant: (detail: string) => e(400, 'invalid_grant', 70000, `Provided grant is invalid or malformed. ${detail}`.trim()),
  codeExpired: () =>
    e(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.'),
  codeRedeemed: () =>
    e(400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.'),
  pkceMismatch: () => e(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.'),
  pkceVerifierMissing: () =>
    e(400, 'invalid_grant', 50148, 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.'),
  redirectUriMismatch: (uri: string, clientId: string) =>
    e(400, 'invalid_request', 50011, `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`),
  refreshTokenExpired: () =>
    e(400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity. The token was issued on a date and was inactive for the maximum inactive time.'),
  // authorize endpoint
  pkceRequired: () => e(400, 'invalid_request', 9002325, 'Proof Key for Code Exchange is required: send code_challenge with code_challenge_method=S256.'),
  unsupportedResponseType: (rt: string) => e(400, 'unsupported_response_type', 70005, `response_type '${rt}' is not enabled for the application.`),
  loginRequired: () => e(400, 'login_required', 50058, 'A silent sign-in request was sent but no user is signed in.'),
  interactionRequired: () => e(400, 'interaction_required', 50058, 'A silent sign-in request was sent but the signed-in session does not satisfy the request (different user or max_age exceeded).'),
  userCancelled: () => e(400, 'access_denied', 65004, 'User declined to consent to access the app.'),
  // device authorization grant: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
  // (the error values are RFC 8628's; the AADSTS codes Entra's)
  authorizationPending: () =>
    e(400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.'),
  /** RFC 8628 3.5: the client polled before `interval` seconds had passed since its last request. */
  slowDown: () => e(400, 'slow_down', 70016, 'OAuth 2.0 device flow error. The client is polling too fast: wait the interval between token requests.'),
  deviceCodeExpired: () => e(400, 'expired_token', 70019, 'Verification code expired.'),
  authorizationDeclined: () => e(400, 'authorization_declined', 70000, 'The end user declined the authorization request.'),
  badVerificationCode: () => e(400, 'bad_verification_code', 70000, 'The device_code sent to the token endpoint was not recognized.'),
  deviceCodeRedeemed: () => e(400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed. The device code was already redeemed.'),
  flowExpired: () => e(400, 'invalid_request', 90014, "The sign-in request has expired or was already used. Start the sign-in again from the application."),
};
