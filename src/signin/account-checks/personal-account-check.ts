import { claimString, homeTenantsOf, PERSONAL_ACCOUNT_TENANT, type AccountCheck } from './account-check.ts';

/**
 * Personal Microsoft accounts (outlook.com, hotmail.com, ...) are refused even when they hold
 * an Elevate role: approvals must be tied to an identity the organisation controls. Entra lets
 * one in only when it was invited as a guest; it then signs in with the tenant's `tid` and
 * `idp` = live.com (or an STS URI naming the consumers tenant), and its `client_info` names the
 * consumers tenant as its home. An uninvited one never gets a token (AADSTS50020). Any one of
 * these signals suffices, so a token without `idp` is still recognised by its home tenant.
 * https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
 */
export const personalAccountCheck: AccountCheck = (ctx) => {
  const tid = claimString(ctx.claims, 'tid')?.toLowerCase();
  const personal = tid === PERSONAL_ACCOUNT_TENANT || homeTenantsOf(ctx).has(PERSONAL_ACCOUNT_TENANT);
  if (!personal) return undefined;
  return {
    reason: 'personal-account',
    explanation:
      'You signed in with a personal Microsoft account. Elevate only accepts work accounts of your organisation\'s tenant, because an approval must be traceable to an account your organisation controls. Sign in with your work account.',
  };
};
