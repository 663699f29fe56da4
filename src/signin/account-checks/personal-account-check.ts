import { claimString, PERSONAL_ACCOUNT_TENANT, tenantOfIssuer, type AccountCheck } from './account-check.ts';

/**
 * Personal Microsoft accounts (outlook.com, hotmail.com, ...) are refused even when they hold
 * an Elevate role: approvals must be tied to an identity the organisation controls. Detected by
 * the consumer tenant as `tid`, or as the home identity provider of an invited account.
 */
export const personalAccountCheck: AccountCheck = ({ claims }) => {
  const tid = claimString(claims, 'tid')?.toLowerCase();
  const idp = claimString(claims, 'idp');
  const personal =
    tid === PERSONAL_ACCOUNT_TENANT ||
    (idp !== undefined && (idp.toLowerCase() === 'live.com' || tenantOfIssuer(idp) === PERSONAL_ACCOUNT_TENANT));
  if (!personal) return undefined;
  return {
    reason: 'personal-account',
    explanation:
      'You signed in with a personal Microsoft account. Elevate only accepts work accounts of your organisation\'s tenant, because an approval must be traceable to an account your organisation controls. Sign in with your work account.',
  };
};
