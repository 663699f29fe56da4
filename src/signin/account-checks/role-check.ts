import type { AccountCheck } from './account-check.ts';

/**
 * Without an Elevate role there is nothing the user could do here; say which roles would help.
 * When roles are also granted through groups and the token carried no group claim at all, say so:
 * Entra sends none unless Elevate's app registration asks (groupMembershipClaims is null in a new
 * registration), and "you have no role" alone would send a group member looking in the wrong place.
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference (groups)
 */
export const roleCheck: AccountCheck = ({ roles, roleNames, groups }) => {
  if (roles.length > 0) return undefined;
  const needed = roleNames.join(', ');
  if (groups.source === 'absent') {
    return {
      reason: 'no-role',
      explanation:
        `Your account has no Elevate role. Elevate also grants roles to members of certain Entra groups, but your sign-in carried no group claim: ` +
        `either you are in none of those groups, or Elevate's app registration does not send group claims (Token configuration > Add groups claim; ` +
        `a new registration sends none). Ask an administrator of your tenant to assign you one of: ${needed}, or to turn on the groups claim.`,
      neededRoles: roleNames,
      groupsSource: 'absent',
    };
  }
  return {
    reason: 'no-role',
    explanation: `Your account has no Elevate role. Ask an administrator of your tenant to assign you one of: ${needed}.`,
    neededRoles: roleNames,
  };
};
