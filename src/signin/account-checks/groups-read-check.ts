import type { AccountCheck } from './account-check.ts';

/**
 * Fail closed when the groups Elevate maps to roles could not be read. Entra sent the overage
 * indicator instead of the `groups` claim (more than 200 groups in a JWT), and Microsoft Graph,
 * where Elevate then asks (signin/group-memberships.ts), did not answer. The roles the token does
 * prove (app roles) are not enough to go on: they may be fewer than the person holds, and a
 * session or an API call with a silently smaller role set would fail later with nothing to say
 * why. So nothing is granted, and the refusal says what happened and what the person can do.
 */
export const groupsReadCheck: AccountCheck = ({ groups }) => {
  if (groups.source !== 'unreadable') return undefined;
  return {
    reason: 'groups-unresolved',
    explanation:
      `Your groups could not be read from your token: you are in more than 200 groups, so Entra sent a pointer to Microsoft Graph instead of the list, ` +
      `and Elevate could not look up there the groups it grants roles to (${groups.why}). Nothing was granted. Try again later, ` +
      `or ask an administrator of your tenant to assign you an Elevate app role directly (Enterprise applications > Elevate > Users and groups) ` +
      `or to check that Elevate has the Microsoft Graph application permission GroupMember.Read.All.`,
    groupsSource: 'unreadable',
  };
};
