import { claimString, type AccountCheck } from './account-check.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Sessions, audit entries and approvals are keyed by object id and tenant: both must be there. */
export const identityCheck: AccountCheck = ({ claims }) => {
  const oid = claimString(claims, 'oid');
  const tid = claimString(claims, 'tid');
  if (oid && tid && GUID.test(oid) && GUID.test(tid)) return undefined;
  return {
    reason: 'missing-identity',
    explanation: 'The sign-in did not identify a user account in a Microsoft Entra tenant (no object id or tenant id), so Elevate cannot tell who you are.',
  };
};
