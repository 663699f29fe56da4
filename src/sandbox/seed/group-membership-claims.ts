import { z } from 'zod';

/**
 * An app registration's `groupMembershipClaims` (manifest; the portal's Token configuration >
 * "Add groups claim"): which of the signed-in user's groups Entra lists in the `groups` claim of
 * the app's ID tokens and of the access tokens issued for it (as a resource).
 * https://learn.microsoft.com/entra/identity-platform/reference-app-manifest#groupmembershipclaims-attribute
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference ("groups":
 * "A value of null excludes all groups")
 *
 * - null / "None": no `groups` claim. null is what a new registration has, so it is the seed's
 *   default: a tenant admin has to turn the claim on, and the sandbox makes Elevate live with that.
 * - "SecurityGroup": security groups (and directory roles, which the sandbox does not model).
 * - "All": security groups and Microsoft 365 / distribution groups.
 * - "ApplicationGroup": only groups assigned to the application (an app role assignment on it).
 * - "DirectoryRole": directory roles only (the `wids` claim); no groups here.
 */
export const GROUP_MEMBERSHIP_CLAIMS = ['None', 'SecurityGroup', 'All', 'ApplicationGroup', 'DirectoryRole'] as const;

export type GroupMembershipClaims = (typeof GROUP_MEMBERSHIP_CLAIMS)[number] | null;

export const groupMembershipClaimsSchema = z.enum(GROUP_MEMBERSHIP_CLAIMS).nullable().default(null);
