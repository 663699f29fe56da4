import type { AccountCheck, AccountCheckContext, AccountRefusal } from './account-check.ts';
import { groupsReadCheck } from './groups-read-check.ts';
import { guestAccountCheck } from './guest-account-check.ts';
import { homeTenantCheck } from './home-tenant-check.ts';
import { identityCheck } from './identity-check.ts';
import { issuerCheck } from './issuer-check.ts';
import { personalAccountCheck } from './personal-account-check.ts';
import { roleCheck } from './role-check.ts';
import { tenantCheck } from './tenant-check.ts';

/**
 * Order matters for the explanation, not for safety (every check must pass): the account-type
 * checks come before issuer and tenant, so a personal or guest account is told what it is
 * rather than that it is "in the wrong tenant".
 */
export const ACCOUNT_CHECKS: readonly AccountCheck[] = [
  identityCheck,
  personalAccountCheck,
  guestAccountCheck,
  issuerCheck,
  tenantCheck,
  homeTenantCheck,
  // before the role check: "your groups could not be read" is the reason, not "you have no role"
  groupsReadCheck,
  roleCheck,
];

/** The first refusal, or undefined when every check passes. */
export function runAccountChecks(ctx: AccountCheckContext, checks: readonly AccountCheck[] = ACCOUNT_CHECKS): AccountRefusal | undefined {
  for (const check of checks) {
    const refusal = check(ctx);
    if (refusal) return refusal;
  }
  return undefined;
}
