import { timingSafeEqual } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { Directory, DirectoryApplication } from '../state/directory.ts';
import { TOKEN_EXCHANGE_APP_ID, TOKEN_EXCHANGE_AUDIENCE } from '../state/first-party-apps.ts';
import { entraErrors, entraTimestamp } from './entra-errors.ts';
import { param, type FormBody } from './form-params.ts';
import type { ClientAuthLevel } from './token-issuer.ts';
import { peekClaims, verifySandboxToken } from './token-verifier.ts';

/**
 * Authenticates the confidential client at the token endpoint, as Entra accepts it:
 * client_secret (form or HTTP Basic), or a client_assertion JWT that is either signed by a
 * certificate registered on the app (iss = sub = client id, aud = the token endpoint) or an
 * external token matching one of the app's federated identity credentials (issuer, subject,
 * audience) — which is what WorkloadIdentityCredential and ClientAssertionCredential send.
 */

export interface AuthenticatedClient {
  app: DirectoryApplication;
  method: 'secret' | 'certificate' | 'federated' | 'public';
  level: ClientAuthLevel;
}

export interface ClientAuthContext {
  directory: Directory;
  keys: SigningKeyStore;
  /** e.g. https://localhost:8443/{tenant}/oauth2/v2.0/token */
  tokenEndpoint: string;
  /** issuers whose tokens the sandbox's own keys sign (its tenants' v2 issuers) */
  sandboxIssuers: Set<string>;
}

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw entraErrors.invalidRequest('Malformed HTTP Basic client credentials.');
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw entraErrors.invalidRequest('Malformed HTTP Basic client credentials.');
  }
}

const iso = (s: number | undefined) => (typeof s === 'number' ? new Date(s * 1000).toISOString() : 'unknown');

/**
 * A public client (no client credential) redeeming a device code: allowed only when the app
 * registration has "Allow public client flows" on (`isFallbackPublicClient`); otherwise Entra
 * treats the app as confidential and asks for its credential, AADSTS7000218.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
 */
export function authenticatePublicClient(body: FormBody, authorization: string | undefined, directory: Directory): AuthenticatedClient | undefined {
  if (basicCredentials(authorization) || param(body, 'client_secret') !== undefined || param(body, 'client_assertion') !== undefined) return undefined;
  const clientId = param(body, 'client_id');
  if (!clientId) throw entraErrors.missingParameter('client_id');
  const app = directory.application(clientId);
  if (!app) throw entraErrors.unknownApplication(clientId.slice(0, 100), directory.tenantId);
  if (!app.isFallbackPublicClient) throw entraErrors.missingClientCredential();
  return { app, method: 'public', level: '0' };
}

export async function authenticateClient(body: FormBody, authorization: string | undefined, ctx: ClientAuthContext): Promise<AuthenticatedClient> {
  const basic = basicCredentials(authorization);
  const formClientId = param(body, 'client_id');
  if (basic && formClientId && basic.id.toLowerCase() !== formClientId.toLowerCase()) {
    throw entraErrors.invalidRequest('client_id in the body does not match the HTTP Basic credentials.');
  }
  const clientId = basic?.id ?? formClientId;
  if (!clientId) throw entraErrors.missingParameter('client_id');
  const app = ctx.directory.application(clientId);
  if (!app) throw entraErrors.unknownApplication(clientId.slice(0, 100), ctx.directory.tenantId);

  const secret = basic?.secret ?? param(body, 'client_secret');
  const assertion = param(body, 'client_assertion');
  if (secret !== undefined && assertion !== undefined) throw entraErrors.invalidRequest('Send either client_secret or client_assertion, not both.');
  if (secret !== undefined) {
    if (!app.clientSecrets.some((s) => sameSecret(s, secret))) throw entraErrors.invalidClientSecret(app.clientId);
    return { app, method: 'secret', level: '1' };
  }
  if (assertion === undefined) throw entraErrors.missingClientCredential();
  if (param(body, 'client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE) {
    throw entraErrors.invalidRequest(`client_assertion_type must be '${JWT_BEARER_ASSERTION_TYPE}'.`);
  }
  const claims = peekClaims(assertion);
  if (!claims) throw entraErrors.malformedJwt('client_assertion');
  const now = Math.floor(Date.now() / 1000);
  const iss = typeof claims.iss === 'string' ? claims.iss : '';
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  const auds = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).filter((a): a is string => typeof a === 'string');

  if (iss.toLowerCase() === app.clientId || sub.toLowerCase() === app.clientId) {
    // certificate credential: the app signs its own assertion
    if (iss.toLowerCase() !== app.clientId || sub.toLowerCase() !== app.clientId) throw entraErrors.clientAssertionSubjectMismatch();
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      throw entraErrors.malformedJwt('client_assertion header');
    }
    const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
    const x5tS256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const cert = app.certificates.find((c) => c.x5t === x5t || c.x5tS256 === x5tS256 || (kid !== undefined && (c.x5t === kid || c.x5tS256 === kid)));
    if (!cert) throw entraErrors.clientAssertionKeyNotFound(String(x5t ?? x5tS256 ?? kid ?? '').slice(0, 100), app.clientId);
    try {
      await compactVerify(assertion, cert.publicKey, { algorithms: ['RS256', 'PS256'] });
    } catch {
      throw entraErrors.clientAssertionSignature();
    }
    if (!auds.some((a) => a.replace(/\/+$/, '') === ctx.tokenEndpoint)) throw entraErrors.clientAssertionAudience();
    if (typeof claims.exp !== 'number' || claims.exp <= now || (typeof claims.nbf === 'number' && claims.nbf > now + 300)) {
      throw entraErrors.clientAssertionTime(entraTimestamp(), iso(claims.nbf), iso(claims.exp));
    }
    return { app, method: 'certificate', level: '2' };
  }

  // federated identity credential: a token from a trusted issuer about a trusted subject
  const audMatches = (configured: string) =>
    auds.some((a) => a === configured || (configured === TOKEN_EXCHANGE_AUDIENCE && a === TOKEN_EXCHANGE_APP_ID));
  const fic = app.federatedCredentials.find((f) => f.issuer === iss && f.subject === sub && f.audiences.some(audMatches));
  if (!fic) throw entraErrors.noMatchingFederatedIdentity(iss.slice(0, 300), sub.slice(0, 200), auds.join(',').slice(0, 300));
  if (!ctx.sandboxIssuers.has(iss)) throw entraErrors.noMatchingFederatedIdentity(iss.slice(0, 300), sub.slice(0, 200), auds.join(',').slice(0, 300));
  const verified = await verifySandboxToken(assertion, ctx.keys, now);
  if (!verified.ok) {
    if (verified.reason === 'expired' || verified.reason === 'not_yet_valid') {
      throw entraErrors.clientAssertionTime(entraTimestamp(), iso(claims.nbf), iso(claims.exp));
    }
    throw entraErrors.clientAssertionSignature();
  }
  return { app, method: 'federated', level: '2' };
}
