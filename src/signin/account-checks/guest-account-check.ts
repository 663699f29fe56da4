import { claimString, tenantOfIssuer, type AccountCheck } from './account-check.ts';

/**
 * Guests (B2B accounts whose home is another tenant) are refused: their credentials, MFA and
 * lifecycle are governed elsewhere. Entra marks them with `acct` = 1, or names their home
 * identity provider in `idp` when it is another tenant.
 */
export const guestAccountCheck: AccountCheck = ({ claims, tenantId }) => {
  const idp = claimString(claims, 'idp');
  const homeTenant = idp ? tenantOfIssuer(idp) : undefined;
  const guest = claims.acct === 1 || claims.acct === '1' || (idp !== undefined && homeTenant !== tenantId.toLowerCase());
  if (!guest) return undefined;
  return {
    reason: 'guest-account',
    explanation:
      'You signed in as a guest whose home is another organisation\'s tenant. Only member accounts of this tenant can use Elevate, because approvals must be made by accounts this organisation manages. Sign in with an account of this tenant.',
  };
};
