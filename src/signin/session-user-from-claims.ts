import type { ServiceRoleId } from '../policies/service-roles-schema.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import { claimString, type SignInClaims } from './account-checks/account-check.ts';

/**
 * The identity the session keeps, picked from checked ID token claims. Only these fields are
 * copied, by name, so nothing else in the token (let alone the token) can end up in the session.
 */
export function sessionUserFromClaims(claims: SignInClaims, roles: readonly ServiceRoleId[], nowSeconds: number): SessionUser {
  const oid = claimString(claims, 'oid');
  const tid = claimString(claims, 'tid');
  // The identity check ran before; this guards against a caller that skipped it.
  if (!oid || !tid) throw new Error('sessionUserFromClaims: claims lack oid or tid');
  const upn = claimString(claims, 'upn') ?? claimString(claims, 'preferred_username') ?? claimString(claims, 'email') ?? oid;
  return {
    oid: oid.toLowerCase(),
    tid: tid.toLowerCase(),
    upn: upn.slice(0, 256),
    name: (claimString(claims, 'name') ?? upn).slice(0, 256),
    roles: [...roles],
    authTime: typeof claims.auth_time === 'number' && Number.isInteger(claims.auth_time) ? claims.auth_time : null,
    signedInAt: nowSeconds,
  };
}
