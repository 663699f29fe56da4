/**
 * What Azure Database for PostgreSQL checks of a Microsoft Entra token presented as a password
 * ("Token validation", https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-azure-ad-authentication):
 * signed by Entra and not tampered with (the tenant's published keys), issued by Entra for the
 * server's tenant, not expired, and for the PostgreSQL resource rather than another Azure
 * resource. The role the client names must be the principal's: its object id (oid) is the one the
 * role was created for (pgaadauth_create_principal_with_oid).
 */
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { OSSRDBMS_ACCEPTED_AUDIENCES } from '../state/first-party-apps.ts';

export type TokenCheck = { ok: true; oid: string } | { ok: false; reason: 'malformed' | 'expired' | 'bad_signature' | 'wrong_audience' | 'wrong_issuer' | 'no_object_id' };

export interface PostgresTokenCheckOptions {
  /** The Entra authority of the server's tenant, e.g. https://login.microsoftonline.com/<tenant id> */
  authority: string;
  tenantId: string;
}

export function postgresTokenCheck(opts: PostgresTokenCheckOptions): (token: string) => Promise<TokenCheck> {
  const keys = createRemoteJWKSet(new URL(`${opts.authority}/discovery/v2.0/keys`));
  const issuers = [`https://sts.windows.net/${opts.tenantId}/`, `${opts.authority}/v2.0`];
  return async (token) => {
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, { algorithms: ['RS256'] }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) return { ok: false, reason: 'bad_signature' };
      return { ok: false, reason: 'malformed' };
    }
    const aud = claims.aud;
    if (typeof aud !== 'string' || !OSSRDBMS_ACCEPTED_AUDIENCES.includes(aud)) return { ok: false, reason: 'wrong_audience' };
    if (claims.tid !== opts.tenantId || typeof claims.iss !== 'string' || !issuers.includes(claims.iss)) return { ok: false, reason: 'wrong_issuer' };
    const oid = typeof claims.oid === 'string' ? claims.oid.toLowerCase() : '';
    if (!/^[0-9a-f-]{36}$/.test(oid)) return { ok: false, reason: 'no_object_id' };
    return { ok: true, oid };
  };
}
