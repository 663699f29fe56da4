import type { AccountCheck } from './account-check.ts';

/** Without an Elevate role there is nothing the user could do here; say which roles would help. */
export const roleCheck: AccountCheck = ({ roles, roleNames }) => {
  if (roles.length > 0) return undefined;
  return {
    reason: 'no-role',
    explanation: `Your account has no Elevate role. Ask an administrator of your tenant to assign you one of: ${roleNames.join(', ')}.`,
    neededRoles: roleNames,
  };
};
