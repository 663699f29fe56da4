/**
 * Administrators by group only, in an approval harness's sandbox: Elevate's service-roles.yaml
 * maps the Entra group "SRE Admins" to SRE Agent Administrator, and two people hold no app role
 * at all, only that membership (and Contributor on SRE Production, their own Azure rights for an
 * elevation):
 * - `gina`, in that one group: a token lists it, once Elevate's registration emits group claims;
 * - `otto`, in it and 200 more: Entra sends the overage indicator instead of a list.
 * How Elevate's registration emits groups (groupMembershipClaims) and whether Elevate holds the
 * Microsoft Graph permission GroupMember.Read.All are the tenant's choices, set per test.
 */
import { randomUUID } from 'node:crypto';
import { startApprovalHarness, type ApprovalHarness, type HarnessOptions } from './approval-harness.ts';
import { withElevateGroupMembershipClaims, withGroup, withManyGroups } from '../../support/seed-group-variants.ts';
import type { Seed } from '../../support/seed-variants.ts';

export const SRE_ADMINS = '7d3f0b52-96c1-4e8a-b0f4-2a61c9e85d17';
const SUB_PRODUCTION = 'b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';

const GROUP_ONLY_ADMINS = [
  { key: 'gina', oid: 'c4a7e2d9-31f6-4b08-9e5d-7a2c1f08b634', upn: 'gina.group@contoso-sre.onmicrosoft.com', displayName: 'Gina Group', kind: 'work', appRoles: [] },
  { key: 'otto', oid: 'e9b15c73-08da-4f62-a1c4-5d3e7f29b0a8', upn: 'otto.overage@contoso-sre.onmicrosoft.com', displayName: 'Otto Overage', kind: 'work', appRoles: [] },
];

export interface GroupTenant {
  /** Elevate's registration's groupMembershipClaims (null: as a new registration has it). */
  groupMembershipClaims: string | null;
  /** Whether Elevate keeps its admin-consented Microsoft Graph permission GroupMember.Read.All (the default seed's). */
  graphGroupMemberRead: boolean;
}

export function withGroupOnlyAdministrators(seed: Seed, tenant: GroupTenant): void {
  seed.users.push(...GROUP_ONLY_ADMINS);
  for (const u of GROUP_ONLY_ADMINS) seed.roleAssignments.push({ name: randomUUID(), principal: `user:${u.key}`, role: 'Contributor', scope: `/subscriptions/${SUB_PRODUCTION}` });
  withGroup(seed, { key: 'sre-admins', id: SRE_ADMINS, displayName: 'SRE Admins', members: ['gina', 'otto'] });
  withManyGroups(seed, 'otto', 200);
  withElevateGroupMembershipClaims(seed, tenant.groupMembershipClaims);
  if (!tenant.graphGroupMemberRead) {
    seed.appRoleAssignments = seed.appRoleAssignments.filter((a) => !(a.principal === 'app:elevate' && a.role === 'GroupMember.Read.All'));
  }
}

/** An approval harness whose tenant has the two group-only administrators, with the mapping configured. */
export function startGroupAdministratorHarness(tenant: GroupTenant, options: HarnessOptions = {}): Promise<ApprovalHarness> {
  return startApprovalHarness({ deviceCodeIntervalSeconds: 1, ...options, administratorGroups: [SRE_ADMINS], seed: (seed) => withGroupOnlyAdministrators(seed, tenant) });
}
