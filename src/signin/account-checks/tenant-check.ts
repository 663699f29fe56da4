import { claimString, type AccountCheck } from './account-check.ts';

/** The account's tenant (`tid`) must be the configured tenant. */
export const tenantCheck: AccountCheck = ({ claims, tenantId }) => {
  if (claimString(claims, 'tid')?.toLowerCase() === tenantId.toLowerCase()) return undefined;
  return {
    reason: 'wrong-tenant',
    explanation: 'Your account belongs to a different Microsoft Entra tenant than the one Elevate is configured for.',
  };
};
