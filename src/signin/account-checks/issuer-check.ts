import { claimString, type AccountCheck } from './account-check.ts';

/** The token must come from the configured tenant's v2.0 issuer and nowhere else. */
export const issuerCheck: AccountCheck = ({ claims, issuer }) => {
  if (claimString(claims, 'iss') === issuer) return undefined;
  return {
    reason: 'wrong-issuer',
    explanation: 'The sign-in was issued by a different identity provider than the tenant Elevate is configured for.',
  };
};
