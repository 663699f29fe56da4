import { homeTenantsOf, type AccountCheck } from './account-check.ts';

/**
 * Guests (B2B accounts whose home is another tenant) are refused: their credentials, MFA and
 * lifecycle are governed elsewhere. A guest's ID token has this tenant's `tid` and issuer, so
 * those cannot tell; what does is the account's home tenant: `client_info`'s `utid`, or `idp`
 * (the home tenant's STS URI, a default claim for guests), or `acct` = 1 when the app asks for
 * that optional claim. Any of them naming a home other than this tenant refuses the sign-in, so
 * a token without `idp` or `acct` is still recognised.
 */
export const guestAccountCheck: AccountCheck = (ctx) => {
  const tenant = ctx.tenantId.toLowerCase();
  const guest = ctx.claims.acct === 1 || ctx.claims.acct === '1' || [...homeTenantsOf(ctx)].some((home) => home !== tenant);
  if (!guest) return undefined;
  return {
    reason: 'guest-account',
    explanation:
      'You signed in as a guest whose home is another organisation\'s tenant. Only member accounts of this tenant can use Elevate, because approvals must be made by accounts this organisation manages. Sign in with an account of this tenant.',
  };
};
